//! The optimizers the command line offers: the registry's entries, named by their config tag (`dopamine1`) or display name (`Dopamine-1`), described by the first sentence of their settings' doc comment, and built from the default grid's base with `--set key=value` and `--config FILE` overrides.

use std::path::Path;

use dopamine_forecast::Defaults;
use dopamine_train::registry::{EntryVisitor, field_names, schema};
use dopamine_train::{OptimizerEntry, OptimizerKind, OptimizerSpec, SpecOptions};
use serde_json::{Map, Value};

use crate::error::{CliError, io_error};

/// Reads what an optimizer is from its settings' doc comment (through the
/// schema): [`summary`] of its first paragraph.
struct About;

impl EntryVisitor for About {
    type Output = String;
    fn visit<E: OptimizerEntry>(self) -> String
    where
        OptimizerSpec: From<E>,
    {
        let schema = schema::<E>();
        let text = schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default();
        summary(E::NAME, text)
    }
}

/// The longest a summary grows before it is cut at a comma.
const SUMMARY_WIDTH: usize = 110;

/// The position of the last `, ` or `: ` of `text` outside parentheses and
/// backticks.
fn last_outer_break(text: &str) -> Option<usize> {
    let (mut depth, mut code, mut last) = (0i32, false, None);
    for (i, c) in text.char_indices() {
        match c {
            '`' => code = !code,
            '(' if !code => depth += 1,
            ')' if !code => depth -= 1,
            ',' | ':' if !code && depth == 0 && text[i + 1..].starts_with(' ') => last = Some(i),
            _ => {}
        }
    }
    last
}

/// The gist of a settings doc comment, on one line: its first paragraph
/// without a leading `Name: `, up to the first formula (`, ` or `: ` before
/// a backtick), `; ` or end of sentence, cut at a comma or colon outside
/// parentheses while longer than
/// [`SUMMARY_WIDTH`].
fn summary(name: &str, text: &str) -> String {
    let paragraph = text.split("\n\n").next().unwrap_or_default();
    let line = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line
        .strip_prefix(name)
        .and_then(|rest| rest.strip_prefix(": "))
        .unwrap_or(&line);
    let sentence_end = line.match_indices(". ").map(|(i, _)| i).find(|&i| {
        let next_upper = line[i + 2..].starts_with(|c: char| c.is_uppercase());
        next_upper && !line[..i].ends_with(" al")
    });
    let end = [", `", ": `", "; "]
        .iter()
        .filter_map(|sep| line.find(sep))
        .chain(sentence_end)
        .min()
        .unwrap_or(line.len());
    let mut gist = &line[..end];
    while gist.len() > SUMMARY_WIDTH {
        match last_outer_break(gist) {
            Some(i) => gist = &gist[..i],
            None => break,
        }
    }
    gist.trim_end_matches(['.', ',', ':']).to_string()
}

/// What `kind` is, in one line (from its settings' doc comment).
pub fn about(kind: OptimizerKind) -> String {
    kind.visit(About)
}

/// One line per optimizer: its tag, its display name and what it is; for
/// the help text.
pub fn listing() -> String {
    let width = OptimizerKind::ALL
        .iter()
        .map(|k| k.tag().len())
        .max()
        .unwrap_or(0);
    OptimizerKind::ALL
        .iter()
        .map(|&k| format!("  {:width$}  {}: {}", k.tag(), k.name(), about(k)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The optimizer named `name`: a config tag or a display name, any case.
///
/// # Errors
/// A usage error listing the known names.
pub fn resolve(name: &str) -> Result<OptimizerKind, CliError> {
    let wanted = name.trim().to_ascii_lowercase();
    OptimizerKind::ALL
        .into_iter()
        .find(|k| k.tag() == wanted || k.name().to_ascii_lowercase() == wanted)
        .ok_or_else(|| {
            CliError::usage(format!(
                "unknown optimizer `{name}`; the optimizers are:\n{}",
                listing()
            ))
        })
}

/// A comma-separated list of optimizers, each resolved once.
///
/// # Errors
/// A usage error for an unknown name, an empty list or a name given twice.
pub fn resolve_list(list: &str) -> Result<Vec<OptimizerKind>, CliError> {
    let mut kinds = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind = resolve(name)?;
        if kinds.contains(&kind) {
            return Err(CliError::usage(format!(
                "--optimizers names `{name}` twice"
            )));
        }
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err(CliError::usage("--optimizers names no optimizer"));
    }
    Ok(kinds)
}

/// A `key=value` override; the value is read as JSON when it parses
/// (`0.01`, `true`, `null`), as a string otherwise (`cosine_to=...`).
fn parse_setting(text: &str) -> Result<(String, Value), CliError> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| CliError::usage(format!("--set `{text}`: write a setting as key=value")))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(CliError::usage(format!("--set `{text}`: the key is empty")));
    }
    let value = value.trim();
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
    Ok((key.to_string(), value))
}

/// The settings of a `--config FILE`: a JSON object of settings (and
/// options), optionally with the optimizer's `kind`.
fn read_config(path: &Path) -> Result<Map<String, Value>, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, "read", &e))?;
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(CliError::usage(format!(
            "`{}`: a config is a JSON object of settings, e.g. {{\"eta\": 0.01}}",
            path.display()
        ))),
        Err(e) => Err(CliError::usage(format!("`{}`: {e}", path.display()))),
    }
}

/// The spec and options `fit` trains with: the base of `kind`'s default
/// grid (the lab's E2 settings; the registry's defaults for an optimizer
/// without a grid), then the settings of `config` (a JSON file), then each
/// `--set key=value`. A key among [`SpecOptions`]' fields (`rank`,
/// `baseline_from_probes`, ...) sets an option, any other a setting. Every
/// setting is checked by building the optimizer once.
///
/// # Errors
/// A usage error naming an unknown setting or a value that does not fit.
pub fn configure(
    kind: OptimizerKind,
    defaults: &Defaults,
    config: Option<&Path>,
    sets: &[String],
) -> Result<(OptimizerSpec, SpecOptions), CliError> {
    let (base, options) = match defaults.grid(kind) {
        Some(c) => (c.base, c.options),
        None => (kind.default_spec(), SpecOptions::default()),
    };
    let to_map = |v: Value| match v {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let mut spec_fields = to_map(serde_json::to_value(base).unwrap_or_default());
    spec_fields.remove("kind");
    let mut option_fields = to_map(serde_json::to_value(options).unwrap_or_default());
    let mut overrides: Vec<(String, Value)> = Vec::new();
    if let Some(path) = config {
        let mut map = read_config(path)?;
        if let Some(tag) = map.remove("kind") {
            if tag.as_str().map(resolve).transpose()? != Some(kind) {
                return Err(CliError::usage(format!(
                    "`{}` configures `{tag}`, not `{}`",
                    path.display(),
                    kind.tag()
                )));
            }
        }
        overrides.extend(map);
    }
    for text in sets {
        overrides.push(parse_setting(text)?);
    }
    let option_names = field_names::<SpecOptions>();
    for (key, value) in overrides {
        if option_names.contains(&key.as_str()) {
            option_fields.insert(key, value);
        } else {
            spec_fields.insert(key, value);
        }
    }
    let spec = OptimizerSpec::from_fields(kind, Value::Object(spec_fields)).map_err(|e| {
        CliError::usage(format!(
            "{} settings: {e} (its options are {})",
            kind.tag(),
            option_names.join(", ")
        ))
    })?;
    let options: SpecOptions = serde_json::from_value(Value::Object(option_fields))
        .map_err(|e| CliError::usage(format!("{} options: {e}", kind.tag())))?;
    spec.check_options(&options)
        .map_err(|e| CliError::usage(format!("{}: {e}", kind.tag())))?;
    // Every setting's range is checked where the optimizer is built (a
    // rank is checked against the network's layout when the run builds it).
    let unranked = SpecOptions {
        rank: None,
        ..options
    };
    spec.build_with::<f64>(&unranked, None, 2, 0, 1)
        .map_err(|e| CliError::usage(format!("{}: {e}", kind.tag())))?;
    Ok((spec, options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_optimizer_has_a_one_line_description() {
        for kind in OptimizerKind::ALL {
            let line = about(kind);
            assert!(
                !line.is_empty() && !line.contains('\n'),
                "{kind:?}: {line:?}"
            );
        }
        assert_eq!(
            summary(
                "Adam",
                "Adam (Kingma and Ba 2015) on the gradient. More.\n\nNext"
            ),
            "Adam (Kingma and Ba 2015) on the gradient"
        );
        assert_eq!(
            summary("D-1", "D-1: WP whose rate is coded, `w += x`;\nmore"),
            "WP whose rate is coded"
        );
        assert_eq!(
            summary("W", "W (weight perturbation): `w += x`"),
            "W (weight perturbation)"
        );
        assert_eq!(
            summary("S", "S (Smith et al. 2011): a b. Next"),
            "S (Smith et al. 2011): a b"
        );
    }

    #[test]
    fn names_resolve_by_tag_or_display_name() {
        assert_eq!(resolve("Dopamine-1").unwrap(), OptimizerKind::Dopamine1);
        assert_eq!(resolve("openes").unwrap(), OptimizerKind::OpenEs);
        let e = resolve("rmsprop").unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(e.to_string().contains("adam"), "{e}");
        assert!(resolve_list("adam,Adam").is_err());
    }

    #[test]
    fn settings_and_options_are_overridden_and_checked() {
        let d = Defaults::builtin();
        let (spec, options) = configure(
            OptimizerKind::Dopamine1,
            &d,
            None,
            &["eta=0.05".into(), "rank=1".into(), "probes=4".into()],
        )
        .unwrap();
        assert_eq!(spec.rate(), 0.05);
        assert_eq!(options.rank, Some(1));
        let e = configure(OptimizerKind::Adam, &d, None, &["sigma=0.1".into()]).unwrap_err();
        assert!(e.to_string().contains("sigma"), "{e}");
        let e = configure(OptimizerKind::Adam, &d, None, &["lr=-1".into()]).unwrap_err();
        assert_eq!(e.exit_code(), 2, "{e}");
    }
}
