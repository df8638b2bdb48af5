output "ruleset_id" {
  description = "ID of the ruleset that protects main."
  value       = github_repository_ruleset.main.ruleset_id
}

output "environments" {
  description = "GitHub environments the deploy roles trust, with whether they wait for reviewers."
  value       = { for name, env in github_repository_environment.this : name => length(env.reviewers) > 0 }
}
