//! Real Redis and memcached servers for the tests: Debian's `redis-server` and
//! `memcached` (the Makefile's `test` target and `.ci/run` install them), each test
//! starting its own on a free loopback port, in a scratch directory, stopped when the
//! guard drops.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::TempDir;

/// How long a server may take to answer after it was started.
const START: Duration = Duration::from_secs(20);

/// One running server.
pub struct Server {
    child: Option<Child>,
    port: u16,
    /// Redis's `requirepass`, to reach it from the test.
    password: Option<String>,
    /// The server's working directory, removed after it stopped.
    _dir: Option<TempDir>,
}

/// A port free at the time of asking (the server may still lose it to another
/// process: [`Server::start`] then tries another).
fn free_port() -> u16 {
    crate::mock::scripted::closed_port()
}

impl Server {
    /// `redis-server` without persistence, with `extra` configuration directives
    /// (`["requirepass", "x"]`, `["maxmemory", "2mb"]`).
    pub fn redis(extra: &[&str]) -> Server {
        let password = extra.iter().position(|&a| a == "requirepass").and_then(|i| extra.get(i + 1));
        let password = password.map(|p| p.to_string());
        Server::start("redis-server", password, |port, dir| {
            let mut args: Vec<String> = [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "no",
                "--dir",
                &dir.display().to_string(),
            ]
            .iter()
            .map(|a| a.to_string())
            .collect();
            for pair in extra.chunks(2) {
                args.push(format!("--{}", pair[0]));
                args.extend(pair[1..].iter().map(|a| a.to_string()));
            }
            args
        })
    }

    /// `memcached` with its default item size (1 MB).
    pub fn memcached() -> Server {
        Server::start("memcached", None, |port, _| {
            let mut args =
                vec!["-l".to_string(), "127.0.0.1".into(), "-p".into(), port.to_string(), "-U".into(), "0".into()];
            // memcached refuses to run as root unless told which user to be.
            // SAFETY: geteuid has no preconditions and cannot fail.
            if unsafe { libc::geteuid() } == 0 {
                args.extend(["-u".to_string(), "root".to_string()]);
            }
            args
        })
    }

    fn start(program: &str, password: Option<String>, args: impl Fn(u16, &std::path::Path) -> Vec<String>) -> Server {
        let dir = TempDir::new(&format!("{program}-test")).expect("scratch dir");
        for _ in 0..10 {
            let port = free_port();
            // A server keeps its own clock, as another host would: a shifted clock
            // (libfaketime, preloaded by the CI's shifted-clock runs) is the plugin's
            // and the tests', and Redis does not run under it.
            let child = Command::new(program)
                .env_remove("LD_PRELOAD")
                .args(args(port, dir.path()))
                .current_dir(dir.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{program} starts (apt-get install redis-server memcached): {e}"));
            let mut server = Server { child: Some(child), port, password: password.clone(), _dir: None };
            if server.answers() {
                server._dir = Some(dir);
                return server;
            }
        }
        panic!("{program} did not start on any of 10 free ports");
    }

    /// Whether the server answers on its port before [`START`] runs out, and is ours.
    fn answers(&mut self) -> bool {
        let until = Instant::now() + START;
        while Instant::now() < until {
            if let Some(child) = self.child.as_mut() {
                if child.try_wait().ok().flatten().is_some() {
                    return false; // exited: the port was taken meanwhile
                }
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the server now (the tests of a server that goes away).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A Redis command's answer, through the `redis` crate as the test's own client.
    pub fn redis_connection(&self) -> redis::Connection {
        let mut info = redis::RedisConnectionInfo::default();
        if let Some(password) = &self.password {
            info = info.set_password(password);
        }
        let info = redis::IntoConnectionInfo::into_connection_info(("127.0.0.1", self.port))
            .expect("address")
            .set_redis_settings(info);
        redis::Client::open(info).and_then(|c| c.get_connection()).expect("the test reaches Redis")
    }

    /// A memcached command line's answer (the text protocol), through a plain socket.
    pub fn memcached_command(&self, line: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("the test reaches memcached");
        stream.write_all(format!("{line}\r\n").as_bytes()).expect("send");
        let mut reader = BufReader::new(stream);
        let mut answer = String::new();
        loop {
            let mut row = String::new();
            if reader.read_line(&mut row).unwrap_or(0) == 0 {
                break;
            }
            let done = matches!(row.trim_end(), "END" | "DELETED" | "NOT_FOUND" | "STORED" | "ERROR");
            answer.push_str(&row);
            if done {
                break;
            }
        }
        answer
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
