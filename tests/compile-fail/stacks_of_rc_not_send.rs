// A stack moves its items between threads: it is Send and Sync only when the
// items are Send.
use racefree::{ArrayStack, TreiberStack};
use std::rc::Rc;

fn assert_send<T: Send>() {}
fn assert_sync<T: Sync>() {}

fn main() {
    assert_send::<TreiberStack<Rc<u8>>>();
    assert_sync::<TreiberStack<Rc<u8>>>();
    assert_send::<ArrayStack<Rc<u8>, 4>>();
    assert_sync::<ArrayStack<Rc<u8>, 4>>();
}
