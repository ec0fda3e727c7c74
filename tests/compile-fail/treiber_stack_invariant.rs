// TreiberStack<T> is invariant in T: a stack of `&'static str` cannot be used as a
// stack of shorter-lived references (0.1 allowed it: a use-after-free in safe code).
use racefree::TreiberStack;

fn main() {
    let stack: TreiberStack<&'static str> = TreiberStack::new();
    {
        let short = String::from("freed at the end of this block");
        let shortened: &TreiberStack<&str> = &stack;
        shortened.push(&short);
    }
    println!("{}", stack.pop().unwrap());
}
