//! `vigil coverage`: ATT&CK coverage per tactic from `GET /api/v1/coverage`, Navigator layers from
//! `GET /api/v1/coverage/navigator`, and the same offline from rule files and a bundle (rule
//! coverage only: health and validation need a server).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use vigil_coverage::{Attack, Coverage, CoverageAnswer, CoverageInputs, LayerContext, LayerKind, Ratio, Scope};
use vigil_detect::{RuleFilter, RuleSet};

use crate::{
    cli_coverage::{CoverageArgs, LayerArg},
    client::encode,
    remote_cmd::{print_json, runtime},
    term_safe::{SafeTable, errln, outln},
};

pub fn run(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    match &args.attack {
        Some(bundle) => offline(&args, bundle),
        None => online(&args),
    }
}

fn online(args: &CoverageArgs) -> anyhow::Result<ExitCode> {
    let mut query = Vec::new();
    if let Some(w) = &args.window {
        query.push(format!("window={}", encode(w)));
    }
    if let Some(layer) = args.layer {
        query.push(format!("layer={}", layer.as_str()));
        for (name, value) in [("from", &args.from), ("to", &args.to)] {
            if let Some(v) = value {
                query.push(format!("{name}={}", encode(v)));
            }
        }
        let path = format!("/api/v1/coverage/navigator?{}", query.join("&"));
        let layer: serde_json::Value = runtime()?.block_on(async {
            let mut client = args.server.client()?;
            client.get(&path).await
        })?;
        return write_layer(args, &serde_json::to_vec_pretty(&layer)?);
    }
    let path = format!("/api/v1/coverage?{}", query.join("&"));
    let answer: CoverageAnswer = runtime()?.block_on(async {
        let mut client = args.server.client()?;
        client.get(&path).await
    })?;
    if args.json {
        return print_json(&answer);
    }
    print_summary(&answer.coverage)?;
    errln!(
        "sources counted as reporting since {} (window {})",
        answer.since,
        answer.window
    );
    Ok(ExitCode::SUCCESS)
}

/// Rule coverage from rule files and a bundle, without a server.
fn offline(args: &CoverageArgs, bundle: &Path) -> anyhow::Result<ExitCode> {
    let kind = args.layer.unwrap_or(LayerArg::Rules);
    if kind != LayerArg::Rules {
        bail!(
            "offline (--rules, --attack) only the `rules` layer can be drawn: `{}` needs a server's source health, validation runs or alerts",
            kind.as_str()
        );
    }
    let attack = Attack::load(bundle).with_context(|| format!("loading the ATT&CK bundle {}", bundle.display()))?;
    for t in &args.tactics {
        if !attack
            .tactics
            .iter()
            .any(|x| x.shortname.eq_ignore_ascii_case(t) || x.id.eq_ignore_ascii_case(t))
        {
            bail!("--tactics: `{t}` is not a tactic of the bundle");
        }
    }
    let filter = RuleFilter {
        min_level: None,
        statuses: None,
        everything: false,
    };
    let set = RuleSet::load(&args.rules, &filter).context("loading the rules")?;
    let rules = vigil_coverage::rules_from_infos(&set.infos());
    let scope = Scope {
        tactics: args.tactics.clone(),
        platforms: args.platforms.clone(),
    };
    let coverage = vigil_coverage::compute(
        &attack,
        &CoverageInputs {
            scope: &scope,
            rules: &rules,
            reporting: None,
            validated: None,
        },
    );
    if args.layer.is_some() {
        let layer = vigil_coverage::layer(LayerKind::Rules, &attack, &coverage, &LayerContext::default());
        return write_layer(args, &serde_json::to_vec_pretty(&layer)?);
    }
    if args.json {
        return print_json(&coverage);
    }
    print_summary(&coverage)?;
    errln!("offline: {} rules; health and validation need a server", rules.len());
    Ok(ExitCode::SUCCESS)
}

fn write_layer(args: &CoverageArgs, bytes: &[u8]) -> anyhow::Result<ExitCode> {
    match &args.out {
        Some(file) => {
            let mut out = std::fs::File::create_new(file).with_context(|| format!("creating {}", file.display()))?;
            out.write_all(bytes)
                .and_then(|()| out.write_all(b"\n"))
                .and_then(|()| out.sync_all())
                .with_context(|| format!("writing {}", file.display()))?;
            errln!(
                "wrote the ATT&CK Navigator layer to {} ({} bytes)",
                crate::term_safe::Esc(&file.display().to_string()),
                bytes.len() + 1
            );
        }
        None => {
            let value: serde_json::Value = serde_json::from_slice(bytes)?;
            outln!("{}", crate::term_safe::json::to_string_pretty(&value)?)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn pct(r: Ratio) -> String {
    if r.total == 0 {
        "-".to_owned()
    } else {
        format!("{}/{} {:.1}%", r.covered, r.total, r.ratio * 100.0)
    }
}

/// The table per tactic, then the whole scope.
fn summary_table(c: &Coverage) -> SafeTable {
    let mut t = SafeTable::new(&["tactic", "techniques", "rules", "healthy", "validated"]);
    for tactic in &c.tactics {
        t.add_row(vec![
            format!("{} {}", tactic.id, tactic.name),
            tactic.summary.rules.total.to_string(),
            pct(tactic.summary.rules),
            pct(tactic.summary.healthy),
            pct(tactic.summary.validated),
        ]);
    }
    t.add_row(vec![
        "(all in scope)".to_owned(),
        c.summary.rules.total.to_string(),
        pct(c.summary.rules),
        pct(c.summary.healthy),
        pct(c.summary.validated),
    ]);
    t
}

fn print_summary(c: &Coverage) -> anyhow::Result<()> {
    outln!("{}", summary_table(c))?;
    if !c.health_available {
        errln!("source health unavailable: `healthy` counts nothing");
    }
    if !c.validation_available {
        errln!("no validation run: `validated` counts nothing (vigil validate)");
    }
    if !c.unknown_techniques.is_empty() {
        errln!(
            "techniques the rules name that the bundle does not hold: {}",
            c.unknown_techniques.join(", ")
        );
    }
    if c.untagged_rules > 0 {
        errln!("{} enabled rules have no ATT&CK technique tag", c.untagged_rules);
    }
    Ok(())
}
