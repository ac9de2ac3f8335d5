//! `vigil report` against a running server: HTML and PDF written to files (format from the
//! extension), CSV printed, a calendar shortcut, no overwrite without `--force`, `report:read`
//! refused to a viewer, and `--help` with its examples.

use crate::cli_run::{api_key, fails, ok};
use crate::harness::Env;

#[test]
fn reports_are_written_in_each_format_from_the_cli() {
    let env = Env::new("version = 1\n");
    let lead = api_key(&env, "lead");
    let server = env.start(false);

    let page = env.path("november.html");
    let page_arg = page.to_string_lossy().into_owned();
    let run = ok(&server, &lead, &["report", "--from", "2d", "-o", &page_arg]);
    assert!(run.stderr.contains("wrote the html report to"), "{}", run.all());
    let html = std::fs::read_to_string(&page).expect("html");
    assert!(
        html.starts_with("<!doctype html>") && html.contains("<h2>Summary</h2>"),
        "{html}"
    );
    assert!(!html.contains("<script"));
    // An existing file is kept unless --force.
    let run = fails(&server, &lead, &["report", "--from", "2d", "-o", &page_arg]);
    assert!(run.stderr.contains("--force"), "{}", run.all());
    ok(&server, &lead, &["report", "--from", "2d", "-o", &page_arg, "--force"]);

    let pdf = env.path("last-month.pdf");
    let pdf_arg = pdf.to_string_lossy().into_owned();
    ok(&server, &lead, &["report", "--from", "last-month", "-o", &pdf_arg]);
    assert!(std::fs::read(&pdf).expect("pdf").starts_with(b"%PDF-"));

    let run = ok(&server, &lead, &["report", "--from", "7d", "--format", "csv"]);
    assert!(
        run.stdout.starts_with("section,group,metric,value,unit,n,previous\n"),
        "{}",
        run.all()
    );
    assert!(
        run.stdout.contains("summary,,incidents_created,0,count,,0"),
        "{}",
        run.all()
    );

    let run = fails(&server, &lead, &["report", "--from", "last-month", "--to", "now"]);
    assert!(run.stderr.contains("leave out --to"), "{}", run.all());
    let run = fails(&server, &lead, &["report", "--format", "pdf"]);
    assert!(run.stderr.contains("-o FILE"), "{}", run.all());
    let run = fails(&server, &server.read_token, &["report", "--from", "2d"]);
    assert!(run.stderr.contains("report:read"), "{}", run.all());

    let help = server.cli(&["report", "--help"]);
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("vigil report --from last-month -o november.pdf"),
        "{text}"
    );
}
