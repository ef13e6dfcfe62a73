//! `--time`: a Slurm time limit, checked once on the command line so that a typo is refused
//! before anything is submitted rather than by `sbatch` after the plan was written.

use std::fmt;
use std::str::FromStr;

/// A time limit in one of the forms `sbatch --time` accepts: `minutes`, `minutes:seconds`,
/// `hours:minutes:seconds`, `days-hours`, `days-hours:minutes`, `days-hours:minutes:seconds`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeLimit(String);

impl FromStr for TimeLimit {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (days, clock) = match text.split_once('-') {
            Some((days, clock)) => (Some(days), clock),
            None => (None, text),
        };
        let fields: Vec<&str> = clock.split(':').collect();
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let well_formed =
            days.is_none_or(numeric) && fields.iter().all(|f| numeric(f)) && fields.len() <= 3;
        if well_formed {
            Ok(TimeLimit(text.to_string()))
        } else {
            Err(format!(
                "`{text}` is not a Slurm time limit: use minutes (`90`), hours:minutes:seconds \
                 (`12:00:00`) or days-hours:minutes:seconds (`2-00:00:00`)"
            ))
        }
    }
}

impl fmt::Display for TimeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_sbatch_form() {
        for text in ["90", "30:00", "12:00:00", "2-12", "2-12:30", "2-00:00:00"] {
            assert_eq!(text.parse::<TimeLimit>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn refuses_typos_with_the_forms_it_takes() {
        for text in ["", "2h", "1:2:3:4", "-5", "2-", "1::2"] {
            let err = text.parse::<TimeLimit>().unwrap_err();
            assert!(err.contains("12:00:00"), "{text}: {err}");
        }
    }
}
