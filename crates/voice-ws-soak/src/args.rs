//! `--name value` options, parsed by hand (a harness does not need more).

use std::collections::HashMap;
use std::time::Duration;

/// The options after the subcommand.
pub(crate) struct Opts(HashMap<String, String>);

impl Opts {
    /// `--name value` pairs.
    pub(crate) fn parse(args: &[String]) -> Result<Self, String> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}"));
            };
            let value = it
                .next()
                .ok_or_else(|| format!("--{name} needs a value"))?
                .clone();
            map.insert(name.to_owned(), value);
        }
        Ok(Self(map))
    }

    pub(crate) fn string(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(crate) fn u64(&self, name: &str, default: u64) -> Result<u64, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: {v:?} is not a number")),
        }
    }

    /// `90`, `90s`, `10m` or `1500ms`.
    pub(crate) fn duration(&self, name: &str, default: Duration) -> Result<Duration, String> {
        match self.0.get(name) {
            None => Ok(default),
            Some(v) => {
                parse_duration(v).ok_or_else(|| format!("--{name}: {v:?} is not a duration"))
            }
        }
    }
}

fn parse_duration(v: &str) -> Option<Duration> {
    if let Some(ms) = v.strip_suffix("ms") {
        return ms.parse().ok().map(Duration::from_millis);
    }
    if let Some(m) = v.strip_suffix('m') {
        return m.parse::<u64>().ok().map(|m| Duration::from_secs(m * 60));
    }
    v.strip_suffix('s')
        .unwrap_or(v)
        .parse()
        .ok()
        .map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_values() {
        assert_eq!(parse_duration("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse_duration("30s"), Some(Duration::from_secs(30)));
        assert_eq!(parse_duration("45"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("x"), None);
        let args: Vec<String> = ["--seed", "5", "--jitter", "off"].map(String::from).into();
        let o = Opts::parse(&args).expect("valid");
        assert_eq!(o.string("jitter"), Some("off"));
        assert!(Opts::parse(&args[..1]).is_err(), "--seed without a value");
        assert_eq!(o.u64("seed", 0), Ok(5));
        assert_eq!(o.u64("other", 9), Ok(9));
    }
}
