// Who wrote a pull request and who approved it, read from the GitHub API (never from text in the pull
// request), and one comment per pull request that is edited on every run instead of piling up.
// Used from actions/github-script: const pr = require(`${process.env.GITHUB_WORKSPACE}/base/.github/scripts/pull-request.js`).

// GitHub refuses comment bodies over 65,536 characters; keep room for the header and the notice.
const COMMENT_LIMIT = 60000;

// The logins whose latest decisive review approves the pull request's current head commit. A later
// "changes requested" or a dismissal replaces an earlier approval; comments do not count either way; an
// approval of an older commit does not approve what is there now; the author never approves their own.
function approvingReviewers(reviews, { author, headSha }) {
  const latest = new Map();
  for (const review of reviews) {
    const login = review.user && review.user.login;
    if (!login || review.state === "COMMENTED" || review.state === "PENDING") continue;
    latest.set(login, review);
  }
  return [...latest.values()]
    .filter((r) => r.state === "APPROVED" && r.commit_id === headSha && r.user.login !== author)
    .map((r) => r.user.login)
    .sort();
}

// The comment text: a hidden marker that finds it again, then the body cut to the size GitHub accepts.
function commentBody(marker, body, limit = COMMENT_LIMIT) {
  const head = `<!-- ${marker} -->\n`;
  if (head.length + body.length <= limit) return head + body;
  const notice = "\n\n… cut to fit a comment; the full text is in the run's artifacts.";
  return head + body.slice(0, limit - head.length - notice.length) + notice;
}

// The terraform-plan comment: one collapsible section per environment, each plan cut to its last
// `perPlan` characters (the changes summary is at the end), a failed plan marked as such.
function planComment(sha, plans, perPlan = 20000) {
  const sections = plans.map(({ env, exitCode, text }) => {
    const status = exitCode === "0" ? "plan" : `plan FAILED (exit ${exitCode})`;
    const cut = text.length > perPlan ? `…\n${text.slice(-perPlan)}` : text;
    return `<details><summary>${env}: ${status}</summary>\n\n\`\`\`\n${cut}\n\`\`\`\n</details>`;
  });
  return `## terraform plan (${sha.slice(0, 7)})\n\n${sections.join("\n\n") || "no plan was produced"}`;
}

// The registry-drift issue: the environments whose dry-run sync exited 12, with their plans; null if none.
function driftIssue(runUrl, results) {
  const drifted = results.filter((r) => r.exitCode === "12");
  if (drifted.length === 0) return null;
  const body = [
    `The registry approves versions that git does not ([run](${runUrl})). Approve them through a pull`,
    "request, or run `mlops registry sync --env <env> --enforce` to revert them.",
    ...drifted.map((r) => `\n### ${r.env}\n\n\`\`\`\n${r.output}\n\`\`\``),
  ].join("\n");
  return { environments: drifted.map((r) => r.env), body: commentBody("mlops:registry-drift", body) };
}

async function readIdentities({ github, owner, repo, number }) {
  const { data: pull } = await github.rest.pulls.get({ owner, repo, pull_number: number });
  const reviews = await github.paginate(github.rest.pulls.listReviews, {
    owner,
    repo,
    pull_number: number,
    per_page: 100,
  });
  const author = pull.user.login;
  return { author, reviewers: approvingReviewers(reviews, { author, headSha: pull.head.sha }) };
}

async function upsertComment({ github, owner, repo, number, marker, body }) {
  const text = commentBody(marker, body);
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number: number,
    per_page: 100,
  });
  const mine = comments.find(
    (c) => c.user && c.user.type === "Bot" && c.body && c.body.startsWith(`<!-- ${marker} -->`),
  );
  if (mine) {
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
  } else {
    await github.rest.issues.createComment({ owner, repo, issue_number: number, body: text });
  }
}

// A review re-runs the governance policy inside the pull request's own pr-checks run instead of a run of its
// own: that run's event is pull_request, whose OIDC subject (`repo:<repo>:pull_request`) is the only one the
// plan role trusts; GitHub documents that subject for pull_request events only, not for pull_request_review.
// Re-running the identities job re-runs the jobs that need it (the policy check and its verdict), which read
// the approving reviewers afresh. Returns the re-run job's id, or null when the run has no policy to re-run.
async function rerunPolicy({ github, owner, repo, headSha, job = "policy / identities" }) {
  const { data } = await github.rest.actions.listWorkflowRuns({
    owner,
    repo,
    workflow_id: "pr-checks.yml",
    event: "pull_request",
    head_sha: headSha,
    per_page: 1,
  });
  const [run] = data.workflow_runs;
  if (!run) throw new Error(`no pr-checks run for ${headSha}: push again to start one`);
  const jobs = await github.paginate(github.rest.actions.listJobsForWorkflowRun, {
    owner,
    repo,
    run_id: run.id,
    per_page: 100,
  });
  const found = jobs.find((j) => j.name === job);
  if (!found || found.conclusion === "skipped") return null;
  await github.rest.actions.reRunJobForWorkflowRun({ owner, repo, job_id: found.id });
  return found.id;
}

module.exports = {
  COMMENT_LIMIT,
  approvingReviewers,
  commentBody,
  driftIssue,
  planComment,
  readIdentities,
  rerunPolicy,
  upsertComment,
};
