//! The types every racefree server tier shares, in one place:
//! [`racefree-redis`](https://docs.rs/racefree-redis) and
//! [`racefree-postgres`](https://docs.rs/racefree-postgres) re-export them
//! under the same names (`racefree_redis::RequestId`,
//! `racefree_postgres::Ticket`, ...), so both tiers accept the same ids, hand
//! out the same tickets and word the contract's errors the same way.
//!
//! | item | what |
//! | --- | --- |
//! | [`RequestId`] | the idempotency key of one mutating call: random, or yours (1 to 64 characters from `[A-Za-z0-9_-]`) |
//! | [`BadRequestId`] | why [`RequestId::from_string`] refused a string; each tier turns it into its own `Error::BadRequestId` |
//! | [`HeldSeats`] | seats held under one token, not yet confirmed: their ids and the token |
//! | [`Ticket`] | a confirmed seat: its id and the token its booking is fenced by |
//! | [`Message`] | the text of the errors every tier reports alike (a seat out of range, a bad group size, ...) |
//!
//! There is no I/O here and no dependency: a tier brings the server.
//!
//! ```
//! use racefree_tier::{RequestId, Ticket};
//!
//! let rid = RequestId::from_string("order-1234")?;
//! let ticket = Ticket::from_parts(7, rid.as_str());
//! assert_eq!((ticket.id(), ticket.token()), (7, "order-1234"));
//! # Ok::<(), racefree_tier::BadRequestId>(())
//! ```

#![forbid(unsafe_code)]

mod held;
mod message;
mod request_id;
mod ticket;

pub use held::HeldSeats;
pub use message::Message;
pub use request_id::{BadRequestId, RequestId, MAX_REQUEST_ID_LEN};
pub use ticket::Ticket;
