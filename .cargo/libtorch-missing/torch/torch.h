// Found only when <workspace>/.libtorch does not point at a libtorch (see .cargo/config.toml).
#error "deepskip: libtorch is not set up for this workspace yet. Run `cargo xtask setup` once (it installs libtorch 2.11.0 into the user cache and links it at <workspace>/.libtorch); plain cargo works after that."
// Missing on purpose: a missing include is fatal, so the compiler stops here instead of
// printing thousands of follow-up errors.
#include "run-cargo-xtask-setup-first"
