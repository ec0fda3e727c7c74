//! A bounded seat pool: no double booking, all-or-nothing group booking.
