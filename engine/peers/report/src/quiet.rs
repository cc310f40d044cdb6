//! Keeping the peers quiet while they run: the searches stop at a failure by panicking (the
//! report prints the message itself), and loom 0.7.3 writes a `dbg!` line to stderr at
//! every Mutex acquisition. Stderr is sent to /dev/null for the duration, so that a terminal
//! does not slow loom down (the formatting and the write still happen, as they would for any
//! user of that release).

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::panic;

type PanicHook = Box<dyn Fn(&panic::PanicHookInfo<'_>) + Sync + Send + 'static>;

/// While alive: no panic messages, stderr to /dev/null. Dropping it restores both.
pub struct Quiet {
    saved_stderr: i32,
    hook: Option<PanicHook>,
}

impl Quiet {
    pub fn new() -> io::Result<Self> {
        let null = File::options().write(true).open("/dev/null")?;
        // SAFETY: dup and dup2 on valid descriptors; the saved copy is restored and closed
        // in Drop.
        let saved_stderr = unsafe { libc::dup(libc::STDERR_FILENO) };
        if saved_stderr < 0 {
            return Err(io::Error::last_os_error());
        }
        if unsafe { libc::dup2(null.as_raw_fd(), libc::STDERR_FILENO) } < 0 {
            let err = io::Error::last_os_error();
            unsafe { libc::close(saved_stderr) };
            return Err(err);
        }
        let hook = panic::take_hook();
        panic::set_hook(Box::new(|_| {}));
        Ok(Quiet { saved_stderr, hook: Some(hook) })
    }
}

impl Quiet {
    /// Writes a progress line to the real stderr.
    pub fn say(&self, line: &str) {
        let text = format!("{line}\n");
        // SAFETY: writes from a valid buffer to the descriptor saved in `new`.
        unsafe { libc::write(self.saved_stderr, text.as_ptr().cast(), text.len()) };
    }
}

impl Drop for Quiet {
    fn drop(&mut self) {
        // SAFETY: restores the descriptor saved in `new` and closes the copy.
        unsafe {
            libc::dup2(self.saved_stderr, libc::STDERR_FILENO);
            libc::close(self.saved_stderr);
        }
        if let Some(hook) = self.hook.take() {
            panic::set_hook(hook);
        }
    }
}
