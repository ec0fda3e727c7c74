//! Firmware-style use of racefree: everything lives in `static`s, nothing in the
//! hot path allocates or takes a lock, and interrupt handlers share the pools with
//! the main loop.
//!
//! A network device has 16 receive buffers and 2 DMA channels:
//! - `FREE_BUFFERS` ([`ArrayStack`]) is the free-list of buffer indices, filled
//!   once at start-up; `READY` ([`ArrayStack`]) carries filled buffers from the
//!   interrupt handlers to the main loop.
//! - `DMA` ([`ArraySeatPool`]) hands a handler a DMA channel for the length of one
//!   transfer; the [`Seat`](racefree::Seat) guard gives it back when dropped.
//!
//! On the host, four threads stand in for receive interrupts and the main thread
//! runs the main loop. A handler that finds no DMA channel or no free buffer drops
//! the packet and counts it, as a real driver would. The functions above `main`
//! use only `core` and the statics, the shape of `#![no_std]` code; everything
//! std (threads, printing) is in `main`. The counters are `core`'s 32-bit atomics
//! because racefree's `Counter` needs 64-bit atomics, which thumbv7em lacks.
//!
//! At the end it checks: every buffer is back on the free-list exactly once, both
//! DMA channels are free, and the main loop saw exactly the packets the handlers
//! accepted. How many packets are dropped depends on the thread schedule.
//!
//! ```text
//! cargo run --example static_pool
//! ```

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use racefree::{words_for, ArraySeatPool, ArrayStack};

/// Receive buffers (indices fit a `u8`).
const BUFFERS: usize = 16;
/// DMA channels shared by every receive interrupt.
const DMA_CHANNELS: usize = 2;
/// Interrupt handlers simulated by threads, and packets each one receives.
const HANDLERS: u32 = 4;
const PACKETS_PER_HANDLER: u32 = 5_000;
/// How long a DMA transfer keeps its channel, in spin-loop hints.
const TRANSFER_SPINS: u32 = 200;

/// Free receive buffers: a lock-free free-list of indices, filled by `init`.
static FREE_BUFFERS: ArrayStack<u8, BUFFERS> = ArrayStack::new();
/// Filled buffers waiting for the main loop.
static READY: ArrayStack<u8, BUFFERS> = ArrayStack::new();
/// DMA channels: a handler holds one for the length of a transfer.
static DMA: ArraySeatPool<{ words_for(DMA_CHANNELS) }> = ArraySeatPool::new(DMA_CHANNELS);

/// The buffers themselves: one word of payload each (a real driver would have
/// `[u8; 1536]` behind a cell; the index it owns is what makes that access exclusive).
static PAYLOAD: [AtomicU32; BUFFERS] = [const { AtomicU32::new(0) }; BUFFERS];
/// Set while a buffer is owned by a handler or queued: a second owner would trip
/// the `assert!` in `on_receive`.
static OWNED: [AtomicBool; BUFFERS] = [const { AtomicBool::new(false) }; BUFFERS];

static ACCEPTED: AtomicU32 = AtomicU32::new(0);
static DROPPED_NO_DMA: AtomicU32 = AtomicU32::new(0);
static DROPPED_NO_BUFFER: AtomicU32 = AtomicU32::new(0);

/// Start-up: every buffer index goes on the free-list once.
fn init() {
    for index in 0..BUFFERS as u8 {
        FREE_BUFFERS
            .push(index)
            .expect("the free-list holds every buffer");
    }
}

/// The receive interrupt: take a DMA channel and a buffer, "transfer" the packet,
/// queue the buffer for the main loop. Never blocks, never allocates. Returns
/// whether the packet got in (a real handler would just return).
fn on_receive(packet: u32) -> bool {
    let Some(channel) = DMA.try_reserve() else {
        DROPPED_NO_DMA.fetch_add(1, Ordering::Relaxed);
        return false;
    };
    let Some(buffer) = FREE_BUFFERS.pop() else {
        DROPPED_NO_BUFFER.fetch_add(1, Ordering::Relaxed);
        return false; // `channel` is dropped here: the DMA channel is free again
    };
    let b = usize::from(buffer);
    // Relaxed: a check only; the buffer's hand-over is ordered by the stacks.
    let was_owned = OWNED[b].swap(true, Ordering::Relaxed);
    assert!(!was_owned, "buffer {buffer} handed out twice");
    // The "DMA transfer" on channel `channel.id()`: fill the buffer, and wait for
    // the (simulated) transfer to complete.
    PAYLOAD[b].store(packet, Ordering::Relaxed);
    for _ in 0..TRANSFER_SPINS {
        core::hint::spin_loop();
    }
    drop(channel); // transfer complete: the channel goes back to the pool
    ACCEPTED.fetch_add(1, Ordering::Relaxed);
    // READY can hold every buffer, so this push cannot fail.
    READY.push(buffer).expect("READY holds every buffer");
    true
}

/// One pass of the main loop: process every ready buffer and return it to the
/// free-list. Returns the number of packets and the sum of their payloads.
fn main_loop_pass() -> (u32, u64) {
    let (mut packets, mut sum) = (0, 0);
    while let Some(buffer) = READY.pop() {
        let b = usize::from(buffer);
        // The pop above made the handler's writes to this buffer visible.
        sum += u64::from(PAYLOAD[b].load(Ordering::Relaxed));
        packets += 1;
        OWNED[b].store(false, Ordering::Relaxed);
        FREE_BUFFERS
            .push(buffer)
            .expect("the free-list holds every buffer");
    }
    (packets, sum)
}

fn main() {
    init();
    let handlers_done = AtomicU32::new(0);

    let (processed, processed_sum, accepted_sum) = std::thread::scope(|s| {
        let handlers: Vec<_> = (0..HANDLERS)
            .map(|irq| {
                let handlers_done = &handlers_done;
                s.spawn(move || {
                    // Each handler remembers what it sent, to check the main loop.
                    let mut sent_sum = 0u64;
                    for n in 0..PACKETS_PER_HANDLER {
                        let packet = irq * PACKETS_PER_HANDLER + n;
                        if on_receive(packet) {
                            sent_sum += u64::from(packet);
                        }
                        std::thread::yield_now(); // the time until the next interrupt
                    }
                    handlers_done.fetch_add(1, Ordering::Release);
                    sent_sum
                })
            })
            .collect();

        // The main loop, until every handler is done and nothing is left.
        let (mut processed, mut processed_sum) = (0u32, 0u64);
        loop {
            let finished = handlers_done.load(Ordering::Acquire) == HANDLERS;
            let (packets, sum) = main_loop_pass();
            processed += packets;
            processed_sum += sum;
            if finished && READY.is_empty() {
                break;
            }
            std::thread::yield_now(); // a real loop would sleep until the next interrupt
        }
        let accepted_sum: u64 = handlers.into_iter().map(|h| h.join().unwrap()).sum();
        (processed, processed_sum, accepted_sum)
    });

    let received = HANDLERS * PACKETS_PER_HANDLER;
    let accepted = ACCEPTED.load(Ordering::Relaxed);
    let no_dma = DROPPED_NO_DMA.load(Ordering::Relaxed);
    let no_buffer = DROPPED_NO_BUFFER.load(Ordering::Relaxed);
    println!(
        "static_pool: {BUFFERS} receive buffers, {DMA_CHANNELS} DMA channels, \
         {HANDLERS} interrupt handlers x {PACKETS_PER_HANDLER} packets"
    );
    println!("  received  {received:>6}");
    println!("  processed {processed:>6}  (by the main loop)");
    println!(
        "  dropped   {:>6}  (no DMA channel: {no_dma}, no free buffer: {no_buffer})",
        no_dma + no_buffer
    );

    // Checks: nothing lost, nothing duplicated, every resource back.
    assert_eq!(accepted + no_dma + no_buffer, received);
    assert_eq!(
        processed, accepted,
        "the main loop saw every accepted packet once"
    );
    assert_eq!(processed_sum, accepted_sum, "and exactly those packets");
    let mut back: Vec<u8> = core::iter::from_fn(|| FREE_BUFFERS.pop()).collect();
    back.sort_unstable();
    assert_eq!(
        back,
        (0..BUFFERS as u8).collect::<Vec<_>>(),
        "every buffer back once"
    );
    assert_eq!(DMA.available(), DMA_CHANNELS, "every DMA channel free");
    assert!(OWNED.iter().all(|o| !o.load(Ordering::Relaxed)));
    println!("  checks: every buffer back on the free-list once, every DMA channel free, payloads match: ok");
}
