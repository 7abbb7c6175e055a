//! Pseudo-terminals for `-t` and the console socket that carries their master: chapter 8's
//! (`ch08_exec::terminal`, `ch08_exec::console`), under the names the engine uses.

pub use ch08_exec::TerminalError;
pub use ch08_exec::console::{console_socket_pair, inherit_across_exec, receive_master, send_master};
pub use ch08_exec::terminal::{Terminal, WindowSize, make_controlling_stdio, set_window_size};
