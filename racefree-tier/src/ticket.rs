//! [`Ticket`]: a confirmed seat, in every tier.

/// A confirmed seat: its id and the token its booking is fenced by. It has no
/// lease: only the tier's `cancel` releases it. Not `Clone`, so one ticket
/// cancels once; persist `(id(), token())` with your order and rebuild it with
/// [`from_parts`](Self::from_parts) to cancel later.
///
/// ```
/// use racefree_tier::Ticket;
///
/// let t = Ticket::from_parts(7, "order-1");
/// let (id, token) = (t.id(), t.token().to_string());
/// assert_eq!(Ticket::from_parts(id, token), t);
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[must_use = "a Ticket is the only way to cancel its booking"]
pub struct Ticket {
    id: usize,
    token: String,
}

impl Ticket {
    /// The booked seat.
    ///
    /// ```
    /// assert_eq!(racefree_tier::Ticket::from_parts(7, "order-1").id(), 7);
    /// ```
    pub fn id(&self) -> usize {
        self.id
    }

    /// The token the booking is fenced by.
    ///
    /// ```
    /// assert_eq!(racefree_tier::Ticket::from_parts(7, "order-1").token(), "order-1");
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Rebuilds a ticket from its seat and token (e.g. read back from your order
    /// database). The tier checks the token on cancel, so a rebuilt ticket
    /// cancels only the booking it was made for.
    ///
    /// ```
    /// let t = racefree_tier::Ticket::from_parts(3, String::from("cart-9"));
    /// assert_eq!((t.id(), t.token()), (3, "cart-9"));
    /// ```
    pub fn from_parts(id: usize, token: impl Into<String>) -> Self {
        Ticket {
            id,
            token: token.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ticket;

    #[test]
    fn parts_round_trip() {
        let t = Ticket::from_parts(usize::MAX, "");
        assert_eq!((t.id(), t.token()), (usize::MAX, ""));
        assert_ne!(Ticket::from_parts(1, "a"), Ticket::from_parts(1, "b"));
    }
}
