//! `--study`: which studies beyond the paper a reproduction adds, parsed once into a set.

/// One `--study` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum StudyChoice {
    /// PlainNet and ResNet at depths 6n+2 = 8 ... 164, ResNeXt at 9n+2 = 11 ... 164.
    Depth,
    /// PlainNet at the profile's depth with delta-orthogonal initialisation next to He.
    Init,
    /// Every study.
    All,
}

/// The studies a reproduction runs besides the paper's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudySelection {
    pub depth: bool,
    pub init: bool,
}

impl StudySelection {
    pub const NONE: StudySelection = StudySelection {
        depth: false,
        init: false,
    };
    pub const ALL: StudySelection = StudySelection {
        depth: true,
        init: true,
    };
    pub const INIT: StudySelection = StudySelection {
        depth: false,
        init: true,
    };

    /// The union of the `--study` values given.
    pub fn of(choices: &[StudyChoice]) -> StudySelection {
        choices
            .iter()
            .fold(StudySelection::NONE, |s, choice| match choice {
                StudyChoice::Depth => StudySelection { depth: true, ..s },
                StudyChoice::Init => StudySelection { init: true, ..s },
                StudyChoice::All => StudySelection::ALL,
            })
    }

    pub fn is_empty(self) -> bool {
        self == StudySelection::NONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_add_up_and_all_means_every_study() {
        assert!(StudySelection::of(&[]).is_empty());
        assert_eq!(
            StudySelection::of(&[StudyChoice::Depth]),
            StudySelection {
                depth: true,
                init: false
            }
        );
        assert_eq!(
            StudySelection::of(&[StudyChoice::Init, StudyChoice::Depth]),
            StudySelection::ALL
        );
        assert_eq!(StudySelection::of(&[StudyChoice::All]), StudySelection::ALL);
    }
}
