//! The seat pool at every scale (see `common/seat_scale.rs`): prints the table
//! that `cargo bench --bench summary` also writes into BENCHMARKS.md. It asserts
//! nothing.
//!
//! ```sh
//! cargo bench --bench seat_scale            # the full table (a few seconds)
//! cargo bench --bench seat_scale -- --test  # one quick pass (CI's bench smoke)
//! ```

mod common;

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    print!("{}", common::seat_scale::table(quick));
}
