//! Synthetic histories for testing the checker against the brute-force oracle.
//!
//! Threads advance in a random interleaving through invoke → linearization point →
//! response; results are computed from the sequential model at the linearization
//! points, so every synthesized history is linearizable until a caller perturbs a
//! result.

use crate::harness::Rng;
use crate::history::{Event, History};

/// Synthesizes a linearizable history of `threads` × `ops` operations.
pub fn linearizable_history<S, Op: Clone, Ret>(
    rng: &mut Rng,
    threads: usize,
    ops: usize,
    init: S,
    mut gen_op: impl FnMut(&mut Rng, usize, usize) -> Op,
    apply: impl Fn(&S, &Op) -> (Ret, S),
) -> History<Op, Ret> {
    // Per thread: operations done, and the one in flight (op, result once linearized, invoke tick).
    type InFlight<Op, Ret> = Option<(Op, Option<Ret>, u64)>;
    let mut done = vec![0usize; threads];
    let mut flight: Vec<InFlight<Op, Ret>> = (0..threads).map(|_| None).collect();
    let mut state = init;
    let mut tick = 0u64;
    let mut events = Vec::new();
    loop {
        let live: Vec<usize> = (0..threads)
            .filter(|&t| done[t] < ops || flight[t].is_some())
            .collect();
        if live.is_empty() {
            break;
        }
        let t = live[rng.below(live.len() as u64) as usize];
        match flight[t].take() {
            None => {
                flight[t] = Some((gen_op(rng, t, done[t]), None, tick));
                tick += 1;
            }
            Some((op, None, inv)) => {
                let (ret, next) = apply(&state, &op);
                state = next;
                flight[t] = Some((op, Some(ret), inv));
            }
            Some((op, Some(ret), invoke)) => {
                events.push(Event {
                    thread: t,
                    op,
                    ret,
                    invoke,
                    response: tick,
                });
                tick += 1;
                done[t] += 1;
            }
        }
    }
    History { events }
}
