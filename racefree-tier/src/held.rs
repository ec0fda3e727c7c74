//! [`HeldSeats`]: seats held under one token, not yet confirmed.

/// Seats held under one token (the request id of the reserve that took them),
/// not yet confirmed: one seat from a single reserve, `k` from a group reserve.
/// The tier's `confirm` turns them into [`Ticket`](crate::Ticket)s, its
/// `release` or the end of the lease (on the server's clock) frees them. The
/// tier checks the token, so a hold rebuilt with
/// [`from_parts`](Self::from_parts) confirms only what was held under it.
///
/// ```
/// use racefree_tier::HeldSeats;
///
/// let h = HeldSeats::from_parts(vec![4, 5], "cart-9");
/// assert_eq!((h.id(), h.ids(), h.len(), h.token()), (4, &[4, 5][..], 2, "cart-9"));
/// let (ids, token) = h.into_parts();
/// assert_eq!((ids, token.as_str()), (vec![4, 5], "cart-9"));
/// ```
#[derive(Debug, PartialEq, Eq, Hash)]
#[must_use = "unconfirmed held seats stay held until their lease ends"]
pub struct HeldSeats {
    ids: Vec<usize>,
    token: String,
}

impl HeldSeats {
    /// The first (for a single hold: the only) seat.
    ///
    /// # Panics
    /// On a hold rebuilt by [`from_parts`](Self::from_parts) with no seats.
    ///
    /// ```
    /// let h = racefree_tier::HeldSeats::from_parts(vec![7], "cart-1");
    /// assert_eq!(h.id(), 7);
    /// ```
    pub fn id(&self) -> usize {
        self.ids[0]
    }

    /// Every seat, ascending.
    ///
    /// ```
    /// let h = racefree_tier::HeldSeats::from_parts(vec![2, 3, 9], "cart-1");
    /// assert_eq!(h.ids(), &[2, 3, 9]);
    /// ```
    pub fn ids(&self) -> &[usize] {
        &self.ids
    }

    /// Number of seats (at least 1 for a hold a tier made).
    ///
    /// ```
    /// assert_eq!(racefree_tier::HeldSeats::from_parts(vec![2, 3], "c").len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Always `false` for a hold a tier made: a hold has at least one seat.
    ///
    /// ```
    /// assert!(!racefree_tier::HeldSeats::from_parts(vec![2], "c").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The token (the reserve's request id) that fences confirm, renew and
    /// release.
    ///
    /// ```
    /// assert_eq!(racefree_tier::HeldSeats::from_parts(vec![2], "cart-9").token(), "cart-9");
    /// ```
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Rebuilds a hold from its seats (ascending) and token, e.g. kept in a cart
    /// between two requests.
    ///
    /// ```
    /// let h = racefree_tier::HeldSeats::from_parts(vec![1, 2], String::from("cart-9"));
    /// assert_eq!((h.ids(), h.token()), (&[1, 2][..], "cart-9"));
    /// ```
    pub fn from_parts(ids: Vec<usize>, token: impl Into<String>) -> Self {
        HeldSeats {
            ids,
            token: token.into(),
        }
    }

    /// The seats and the token, owned.
    ///
    /// ```
    /// let (ids, token) = racefree_tier::HeldSeats::from_parts(vec![1], "c").into_parts();
    /// assert_eq!((ids, token), (vec![1], String::from("c")));
    /// ```
    pub fn into_parts(self) -> (Vec<usize>, String) {
        (self.ids, self.token)
    }
}
