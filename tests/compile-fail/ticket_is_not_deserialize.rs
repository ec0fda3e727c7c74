// A deserialized ticket would be a second ticket for one booking: with the
// `serde` feature, `Ticket` serializes but does not deserialize.
fn main() {
    let _: racefree::Ticket = serde_json::from_str("{\"seat\":0,\"pool\":1}").unwrap();
}
