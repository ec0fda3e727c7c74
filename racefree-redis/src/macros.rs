//! Method sets written once for the blocking and the async handles.

/// The methods every counter handle has, blocking (`[]`) or async
/// (`[async . await]`), written once: `create`, `open_or_create`, `open`,
/// `with_config`, `name` and `get`, in this order, each with the caller's docs
/// (six doc blocks, each ended by `;`). `$kind` is the
/// counter's kind word, `($($max)?)` the bounded counter's extra parameter of
/// `create` and `open_or_create`, and `$bound` the maximum the counter gets
/// (`MAX_VALUE` for the unbounded one). The expansion site's `Core` (blocking
/// or async) does the work.
macro_rules! counter_methods {
    (
        [$($async:tt $dot:tt $await:tt)?] $kind:literal, ($($max:ident)?), $bound:expr;
        $(#[$create:meta])* ;
        $(#[$open_or_create:meta])* ;
        $(#[$open:meta])* ;
        $(#[$with_config:meta])* ;
        $(#[$name:meta])* ;
        $(#[$get:meta])* ;
    ) => {
        constructor! {
            [$($async)?]
            $(#[$create])*
            create(conn_info, name, initial: u64 $(, $max: u64)?) =>
                Core::create(conn_info, name, ($kind, initial, $bound), true)$($dot $await)?
                    .map(Self);
            $(#[$open_or_create])*
            open_or_create(conn_info, name, initial: u64 $(, $max: u64)?) =>
                Core::create(conn_info, name, ($kind, initial, $bound), false)$($dot $await)?
                    .map(Self);
        }

        $(#[$open])*
        pub $($async)? fn open<T: IntoConnectionInfo>(conn_info: T, name: &str) -> Result<Self> {
            Core::open(conn_info, name, $kind)$($dot $await)?.map(Self)
        }

        $(#[$with_config])*
        pub fn with_config(self, config: Config) -> Self {
            Self(self.0.with_config(config))
        }

        $(#[$name])*
        pub fn name(&self) -> &str {
            self.0.name()
        }

        $(#[$get])*
        pub $($async)? fn get(&self) -> Result<u64> {
            self.0.get()$($dot $await)?
        }
    };
}

/// A handle's constructors (`create`, `open_or_create`), blocking (`[]`) or
/// async (`[async]`), written once for every handle: each `$fn($info, $name,
/// $param: $ty...) => $body;` becomes `pub fn $fn<T: IntoConnectionInfo>($info:
/// T, $name: &str, $param: $ty...) -> Result<Self>` whose body is `$body` (the
/// caller's, with `.await` where it is async).
macro_rules! constructor {
    ([$($async:tt)?]) => {};
    (
        [$($async:tt)?]
        $(#[$doc:meta])*
        $fn:ident($info:ident, $name:ident $(, $param:ident: $ty:ty)*) => $body:expr;
        $($rest:tt)*
    ) => {
        $(#[$doc])*
        pub $($async)? fn $fn<T: IntoConnectionInfo>(
            $info: T,
            $name: &str,
            $($param: $ty,)*
        ) -> Result<Self> {
            $body
        }

        constructor! { [$($async)?] $($rest)* }
    };
}
