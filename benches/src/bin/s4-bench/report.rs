//! `s4-bench report`: medians over repetitions and same-run ratios against the targets of
//! the load benchmark, as Markdown.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::Record;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// A directory of JSON result files (every `*.json` in it is read).
    #[arg(long)]
    dir: PathBuf,
    /// A text file printed verbatim above the tables (date, versions, machine).
    #[arg(long)]
    meta: Option<PathBuf>,
    /// Replace the text between `<!-- s4-bench:begin -->` and `<!-- s4-bench:end -->` in
    /// this Markdown file with the report.
    #[arg(long)]
    update_doc: Option<PathBuf>,
    /// The label of the system under test, and of the peers.
    #[arg(long, default_value = "s4")]
    ours: String,
    #[arg(long, default_value = "s3s-fs")]
    s3s: String,
    #[arg(long, default_value = "nginx")]
    nginx: String,
    #[arg(long, default_value = "raw")]
    raw: String,
}

const BEGIN: &str = "<!-- s4-bench:begin -->";
const END: &str = "<!-- s4-bench:end -->";

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        f64::midpoint(v[mid - 1], v[mid])
    })
}

fn size_name(size: u64) -> String {
    if size == 0 {
        "-".to_owned()
    } else if size.is_multiple_of(1 << 20) {
        format!("{} MiB", size >> 20)
    } else if size.is_multiple_of(1 << 10) {
        format!("{} KiB", size >> 10)
    } else {
        format!("{size} B")
    }
}

type PointKey = (String, usize);

#[derive(Debug, Default)]
struct Results {
    /// (target, workload, concurrency) -> rep -> record
    by: BTreeMap<(String, String, usize), BTreeMap<u32, Record>>,
    /// Points in the order first seen.
    order: Vec<PointKey>,
    sizes: BTreeMap<String, u64>,
    targets: Vec<String>,
}

impl Results {
    fn get(&self, target: &str, workload: &str, conc: usize) -> Option<&BTreeMap<u32, Record>> {
        self.by.get(&(target.to_owned(), workload.to_owned(), conc))
    }

    fn median_of(
        &self,
        target: &str,
        workload: &str,
        conc: usize,
        f: impl Fn(&Record) -> Option<f64>,
    ) -> Option<f64> {
        let reps = self.get(target, workload, conc)?;
        median(reps.values().filter(|r| r.ops > 0).filter_map(f).collect())
    }

    /// Same-run ratios `f(a) / f(b)` for every rep both have, and their median.
    fn ratio(
        &self,
        a: (&str, &str, usize),
        b: (&str, &str, usize),
        f: impl Fn(&Record) -> f64,
    ) -> (Vec<f64>, Option<f64>) {
        let (Some(ra), Some(rb)) = (self.get(a.0, a.1, a.2), self.get(b.0, b.1, b.2)) else {
            return (Vec::new(), None);
        };
        let ratios: Vec<f64> = ra
            .iter()
            .filter_map(|(rep, x)| {
                let y = rb.get(rep)?;
                (f(y) > 0.0 && x.ops > 0).then(|| f(x) / f(y))
            })
            .collect();
        let m = median(ratios.clone());
        (ratios, m)
    }
}

fn load(args: &ReportArgs) -> Result<Results, String> {
    let mut results = Results::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&args.dir)
        .map_err(|e| format!("{}: {e}", args.dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let records: Vec<Record> =
            serde_json::from_slice(&text).map_err(|e| format!("{}: {e}", file.display()))?;
        for r in records {
            let point = (r.workload.clone(), r.concurrency);
            if !results.order.contains(&point) {
                results.order.push(point);
            }
            if !results.targets.contains(&r.target) {
                results.targets.push(r.target.clone());
            }
            results.sizes.insert(r.workload.clone(), r.size);
            results
                .by
                .entry((r.target.clone(), r.workload.clone(), r.concurrency))
                .or_default()
                .insert(r.rep, r);
        }
    }
    Ok(results)
}

fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn workload_order(w: &str) -> usize {
    [
        "put-small",
        "get-small",
        "put-large",
        "get-large",
        "list",
        "put-whole",
        "multipart",
    ]
    .iter()
    .position(|x| *x == w)
    .unwrap_or(99)
}

fn render(args: &ReportArgs, res: &Results) -> String {
    let mut out = String::new();
    if let Some(meta) = &args.meta {
        if let Ok(text) = std::fs::read_to_string(meta) {
            out.push_str(text.trim_end());
            out.push_str("\n\n");
        }
    }
    let reps = res
        .by
        .values()
        .flat_map(|m| m.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(
        out,
        "Medians of {reps} interleaved repetitions. ops/s (MB/s for large objects) and p50 / p99 latency in ms; \
         `srv CPU` is the server's user + system CPU seconds during the point, `RSS` its peak resident set (MiB). \
         A dash: the target does not serve that workload."
    );
    out.push('\n');
    let mut header = String::from("| workload | size | conc |");
    let mut rule = String::from("|---|---|---|");
    for t in &res.targets {
        let _ = write!(header, " {t} ops/s | {t} MB/s | {t} p50 / p99 |");
        rule.push_str("---|---|---|");
    }
    let _ = write!(
        header,
        " {} srv CPU s | {} RSS MiB | errors |",
        args.ours, args.ours
    );
    rule.push_str("---|---|---|");
    let _ = writeln!(out, "{header}\n{rule}");
    let mut order = res.order.clone();
    order.sort_by_key(|(w, c)| (workload_order(w), *c));
    for (workload, conc) in &order {
        let size = res.sizes.get(workload).copied().unwrap_or(0);
        let _ = write!(out, "| {workload} | {} | {conc} |", size_name(size));
        let mut errors = 0;
        for t in &res.targets {
            let ops = res.median_of(t, workload, *conc, |r| Some(r.ops_per_sec));
            let mb = res.median_of(t, workload, *conc, |r| Some(r.mb_per_sec));
            let p50 = res.median_of(t, workload, *conc, |r| Some(r.p50_ms));
            let p99 = res.median_of(t, workload, *conc, |r| Some(r.p99_ms));
            if let Some(reps) = res.get(t, workload, *conc) {
                errors += reps.values().map(|r| r.errors).sum::<u64>();
            }
            let _ = write!(
                out,
                " {} | {} | {} |",
                fmt_opt(ops, if ops.is_some_and(|v| v < 10.0) { 2 } else { 0 }),
                fmt_opt(mb, 1),
                match (p50, p99) {
                    (Some(a), Some(b)) => format!("{a:.2} / {b:.1}"),
                    _ => "—".to_owned(),
                }
            );
        }
        let cpu = res.median_of(&args.ours, workload, *conc, |r| r.server_cpu_seconds);
        let rss = res.median_of(&args.ours, workload, *conc, |r| r.server_peak_rss_mib);
        let _ = writeln!(
            out,
            " {} | {} | {errors} |",
            fmt_opt(cpu, 2),
            fmt_opt(rss, 0)
        );
    }
    out.push('\n');
    out.push_str(&targets(args, res));
    out
}

/// A target: name, goal, per-repetition values, their median, and whether the goal is a floor.
type TargetRow = (String, f64, Vec<f64>, Option<f64>, bool);

fn targets(args: &ReportArgs, res: &Results) -> String {
    let ours = args.ours.as_str();
    let ops = |r: &Record| r.ops_per_sec;
    let mbs = |r: &Record| r.mb_per_sec;
    let mut rows: Vec<TargetRow> = Vec::new();
    let mut push = |name: String, goal: f64, (per_rep, med): (Vec<f64>, Option<f64>), at_least| {
        rows.push((name, goal, per_rep, med, at_least));
    };
    push(
        format!("4 KiB PUT c32 vs {}", args.s3s),
        1.0,
        res.ratio((ours, "put-small", 32), (&args.s3s, "put-small", 32), ops),
        true,
    );
    push(
        format!("4 KiB GET c32 vs {}", args.s3s),
        4.0,
        res.ratio((ours, "get-small", 32), (&args.s3s, "get-small", 32), ops),
        true,
    );
    push(
        format!("4 KiB GET c32 vs {}", args.nginx),
        0.3,
        res.ratio((ours, "get-small", 32), (&args.nginx, "get-small", 32), ops),
        true,
    );
    let p50: Vec<f64> = res
        .get(ours, "get-small", 1)
        .map(|m| m.values().map(|r| r.p50_ms).collect())
        .unwrap_or_default();
    push(
        "4 KiB GET p50 at c1 (ms, not a ratio)".to_owned(),
        1.0,
        (p50.clone(), median(p50)),
        false,
    );
    for c in [1, 32] {
        push(
            format!("64 MiB GET c{c} vs {}", args.nginx),
            0.7,
            res.ratio((ours, "get-large", c), (&args.nginx, "get-large", c), mbs),
            true,
        );
    }
    for c in [1, 32] {
        push(
            format!("64 MiB PUT c{c} vs {} write+fsync", args.raw),
            0.8,
            res.ratio((ours, "put-large", c), (&args.raw, "put-large", c), mbs),
            true,
        );
    }
    for c in [1, 32] {
        push(
            format!("LIST 1,000-key pages c{c} vs {}", args.s3s),
            20.0,
            res.ratio((ours, "list", c), (&args.s3s, "list", c), ops),
            true,
        );
    }
    for c in [1, 32] {
        push(
            format!("256 MiB multipart ({c} part(s) in flight) vs one 256 MiB PUT"),
            0.8,
            res.ratio((ours, "multipart", c), (ours, "put-whole", 1), mbs),
            true,
        );
    }
    let rss: Vec<f64> = {
        let mut by_rep: BTreeMap<u32, f64> = BTreeMap::new();
        for ((t, _, c), reps) in &res.by {
            if t == ours && *c == 128 {
                for (rep, r) in reps {
                    let v = r.server_peak_rss_mib.unwrap_or(0.0);
                    let e = by_rep.entry(*rep).or_insert(0.0);
                    *e = e.max(v);
                }
            }
        }
        by_rep.into_values().collect()
    };
    push(
        "server peak RSS at c128 (MiB, not a ratio)".to_owned(),
        200.0,
        (rss.clone(), median(rss)),
        false,
    );
    let mut out =
        String::from("| target | goal | per repetition | median | met |\n|---|---|---|---|---|\n");
    for (name, goal, per_rep, med, at_least) in rows {
        let reps = per_rep
            .iter()
            .map(|v| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(", ");
        let (goal_text, met) = match med {
            Some(m) if at_least => (
                format!(">= {goal}"),
                if m >= goal { "yes" } else { "**no**" },
            ),
            Some(m) => (format!("< {goal}"), if m < goal { "yes" } else { "**no**" }),
            None => (
                if at_least {
                    format!(">= {goal}")
                } else {
                    format!("< {goal}")
                },
                "not measured",
            ),
        };
        let _ = writeln!(
            out,
            "| {name} | {goal_text} | {reps} | {} | {met} |",
            fmt_opt(med, 2)
        );
    }
    out
}

pub fn report(args: &ReportArgs) -> Result<(), String> {
    let res = load(args)?;
    if res.by.is_empty() {
        return Err(format!("no results in {}", args.dir.display()));
    }
    let text = render(args, &res);
    print!("{text}");
    if let Some(doc) = &args.update_doc {
        let old = std::fs::read_to_string(doc).map_err(|e| format!("{}: {e}", doc.display()))?;
        let (Some(b), Some(e)) = (old.find(BEGIN), old.find(END)) else {
            return Err(format!(
                "{} has no `{BEGIN}` ... `{END}` markers",
                doc.display()
            ));
        };
        let new = format!("{}{BEGIN}\n{text}{}", &old[..b], &old[e..]);
        std::fs::write(doc, new).map_err(|e| format!("{}: {e}", doc.display()))?;
    }
    Ok(())
}
