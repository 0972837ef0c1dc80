//! SLSA provenance v1, boiled down to what a release manifest claims.
//!
//! The predicate stays in the input as written; rules that compare it with
//! the manifest's `provenance` (builder, source repository and commit) need
//! those few facts without knowing every build type. The source is taken
//! where the SLSA specification recommends it — the git dependency in
//! `resolvedDependencies` (`git+<repo>@<ref>` with a `gitCommit` digest) — and
//! else from `externalParameters.workflow`, as the SLSA GitHub generator and
//! GitHub's own build type write it.

use serde::Serialize;
use serde_json::Value;

/// The facts of a provenance predicate that policies compare with the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProvenanceSummary {
    /// `runDetails.builder.id`.
    pub builder_id: Option<String>,
    /// `buildDefinition.buildType`.
    pub build_type: Option<String>,
    /// The source repository, as a plain URI (no `git+`, no `@ref`).
    pub source_repo: Option<String>,
    /// The commit built (hex), when the predicate records one.
    pub source_commit: Option<String>,
}

impl ProvenanceSummary {
    /// Summarizes a schema-valid SLSA provenance v1 predicate.
    pub fn of(predicate: &Value) -> ProvenanceSummary {
        let text = |pointer: &str| {
            predicate
                .pointer(pointer)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let workflow_repo = text("/buildDefinition/externalParameters/workflow/repository");
        let workflow_ref = text("/buildDefinition/externalParameters/workflow/ref");
        let git: Vec<(String, Option<String>)> = predicate
            .pointer("/buildDefinition/resolvedDependencies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let uri = d.get("uri")?.as_str()?.strip_prefix("git+")?;
                let commit = ["gitCommit", "sha1"]
                    .iter()
                    .find_map(|k| d.get("digest")?.get(*k)?.as_str())
                    .map(str::to_owned);
                Some((repo_of(uri), commit))
            })
            .collect();
        // Prefer the dependency that is the workflow's own repository: a
        // build may resolve several git repositories.
        let source = git
            .iter()
            .find(|(repo, _)| Some(repo) == workflow_repo.as_ref())
            .or_else(|| git.first());
        let source_repo = source.map(|(r, _)| r.clone()).or(workflow_repo);
        let source_commit = source.and_then(|(_, c)| c.clone()).or_else(|| {
            // A ref that is itself a full commit hash names the commit.
            workflow_ref.filter(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        ProvenanceSummary {
            builder_id: text("/runDetails/builder/id"),
            build_type: text("/buildDefinition/buildType"),
            source_repo,
            source_commit,
        }
    }
}

/// `https://host/owner/repo@refs/heads/main#sub/dir` → `https://host/owner/repo`.
/// The `@` of a ref is the first after the path starts, so a user name in the
/// authority (`ssh://git@host/...`) is kept.
fn repo_of(uri: &str) -> String {
    let uri = uri.split('#').next().unwrap_or(uri);
    let path_start = match uri.find("://") {
        Some(i) => uri
            .get(i + 3..)
            .and_then(|rest| rest.find('/'))
            .map_or(uri.len(), |j| i + 3 + j),
        None => 0,
    };
    let cut = uri
        .get(path_start..)
        .and_then(|path| path.find('@'))
        .map_or(uri.len(), |k| path_start + k);
    uri.get(..cut).unwrap_or(uri).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repo_of_strips_ref_and_subdir_only() {
        assert_eq!(
            repo_of("https://github.com/acme/edge-agent@refs/heads/main"),
            "https://github.com/acme/edge-agent"
        );
        assert_eq!(
            repo_of("ssh://git@github.com/acme/edge-agent@v1#src"),
            "ssh://git@github.com/acme/edge-agent"
        );
        assert_eq!(
            repo_of("https://github.com/acme/edge-agent"),
            "https://github.com/acme/edge-agent"
        );
    }

    #[test]
    fn github_generator_layout_is_summarized() {
        let p = json!({
            "buildDefinition": {
                "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
                "externalParameters": { "workflow": {
                    "ref": "refs/tags/v2.4.0",
                    "repository": "https://github.com/acme/edge-agent",
                    "path": ".github/workflows/release.yml" } },
                "resolvedDependencies": [
                    { "uri": "git+https://github.com/acme/vendored@refs/heads/main",
                      "digest": { "gitCommit": "1111111111111111111111111111111111111111" } },
                    { "uri": "git+https://github.com/acme/edge-agent@refs/tags/v2.4.0",
                      "digest": { "gitCommit": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39" } }
                ]
            },
            "runDetails": { "builder": { "id": "https://github.com/actions/runner/github-hosted" } }
        });
        assert_eq!(
            ProvenanceSummary::of(&p),
            ProvenanceSummary {
                builder_id: Some("https://github.com/actions/runner/github-hosted".into()),
                build_type: Some(
                    "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1".into()
                ),
                source_repo: Some("https://github.com/acme/edge-agent".into()),
                source_commit: Some("4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39".into()),
            }
        );
    }

    #[test]
    fn workflow_only_and_nothing_at_all() {
        let p = json!({
            "buildDefinition": { "buildType": "x", "externalParameters": { "workflow": {
                "repository": "https://github.com/acme/a",
                "ref": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39" } } },
            "runDetails": { "builder": { "id": "b" } }
        });
        let s = ProvenanceSummary::of(&p);
        assert_eq!(s.source_repo.as_deref(), Some("https://github.com/acme/a"));
        assert_eq!(
            s.source_commit.as_deref(),
            Some("4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39")
        );
        let p = json!({
            "buildDefinition": { "buildType": "x", "externalParameters": {} },
            "runDetails": { "builder": { "id": "b" } }
        });
        let s = ProvenanceSummary::of(&p);
        assert_eq!((s.source_repo, s.source_commit), (None, None));
    }
}
