//! A real DNS server for the tests and the demo: NSD (Debian's `nsd`), authoritative
//! for the zones it is given, on a free loopback port, from a scratch directory it
//! is configured in (no root-owned file, no privilege dropped, no control socket).
//!
//! A zone listed as failing is configured as a secondary whose primary never
//! answers: NSD then answers SERVFAIL for every name in it, as a broken zone does.
//! The server stops when the value is dropped, and with the thread that started it
//! (the parent-death signal), so that no test leaves it running.

use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where Debian installs NSD.
const NSD: &str = "/usr/sbin/nsd";

/// How long NSD may take to load its zones and answer.
const READY_WITHIN: Duration = Duration::from_secs(20);

/// A running NSD.
pub struct Nsd {
    child: Child,
    dir: PathBuf,
    address: SocketAddr,
}

impl Nsd {
    /// Starts NSD with `zones` (origin, zone file text) and the `failing` zones (origins).
    pub fn start(zones: &[(String, String)], failing: &[&str]) -> io::Result<Nsd> {
        let program = std::env::var_os("NSD").map_or_else(|| PathBuf::from(NSD), PathBuf::from);
        if !program.exists() {
            return Err(io::Error::other(format!(
                "{} not found: the DNS tests need NSD (Debian: apt-get install -y nsd; `make test` installs it)",
                program.display()
            )));
        }
        let dir = scratch_dir()?;
        let mut last_error = io::Error::other("no attempt");
        // A port found free may be taken before NSD binds it: try another.
        for _ in 0..5 {
            let port = free_port()?;
            write_config(&dir, port, zones, failing)?;
            let log = std::fs::File::create(dir.join("nsd.out"))?;
            let mut command = Command::new(&program);
            // A server keeps its own clock, as another host would: not the shifted
            // one (libfaketime) of the CI's shifted-clock runs.
            command
                .env_remove("LD_PRELOAD")
                .arg("-d")
                .arg("-c")
                .arg(dir.join("nsd.conf"))
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log);
            // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
            unsafe {
                command.pre_exec(|| {
                    if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == 0 {
                        Ok(())
                    } else {
                        Err(io::Error::last_os_error())
                    }
                });
            }
            let mut child = command.spawn()?;
            let address = SocketAddr::from(([127, 0, 0, 1], port));
            match wait_ready(&mut child, address, zones.first().map_or("example.", |(origin, _)| origin)) {
                Ok(()) => return Ok(Nsd { child, dir, address }),
                Err(error) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let log = std::fs::read_to_string(dir.join("nsd.out")).unwrap_or_default();
                    last_error = io::Error::other(format!("NSD did not start: {error}\n{log}"));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        Err(last_error)
    }

    /// `127.0.0.1:PORT`, for `--dns-server`.
    pub fn address(&self) -> SocketAddr {
        self.address
    }
}

impl Drop for Nsd {
    fn drop(&mut self) {
        // SAFETY: a plain kill(2) of the child this value started and still owns.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh directory for one server.
fn scratch_dir() -> io::Result<PathBuf> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("mock-nsd-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

/// A DNS server that never answers: a UDP socket on loopback, bound and never read,
/// so queries sent to it time out. It is silent as long as the socket lives.
pub fn silent_dns() -> io::Result<UdpSocket> {
    UdpSocket::bind(("127.0.0.1", 0))
}

/// A loopback port free for both UDP and TCP right now.
fn free_port() -> io::Result<u16> {
    loop {
        let udp = UdpSocket::bind(("127.0.0.1", 0))?;
        let port = udp.local_addr()?.port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
}

/// Writes `nsd.conf` and the zone files into `dir`.
fn write_config(dir: &Path, port: u16, zones: &[(String, String)], failing: &[&str]) -> io::Result<()> {
    let path = |name: &str| dir.join(name).display().to_string();
    let mut config = format!(
        "server:\n    ip-address: 127.0.0.1@{port}\n    port: {port}\n    do-ip6: no\n    username: \"\"\n    \
         chroot: \"\"\n    zonesdir: \"{}\"\n    database: \"\"\n    zonelistfile: \"{}\"\n    xfrdfile: \"{}\"\n    \
         xfrdir: \"{}\"\n    pidfile: \"{}\"\n    server-count: 1\n    verbosity: 1\n\
         remote-control:\n    control-enable: no\n",
        dir.display(),
        path("zone.list"),
        path("xfrd.state"),
        dir.display(),
        path("nsd.pid"),
    );
    for (i, (origin, text)) in zones.iter().enumerate() {
        let file = format!("zone{i}.zone");
        std::fs::write(dir.join(&file), text)?;
        config.push_str(&format!("zone:\n    name: \"{origin}\"\n    zonefile: \"{file}\"\n"));
    }
    for origin in failing {
        // Port 1 on loopback refuses: the zone never gets data.
        config.push_str(&format!("zone:\n    name: \"{origin}\"\n    request-xfr: 127.0.0.1@1 NOKEY\n"));
    }
    std::fs::write(dir.join("nsd.conf"), config)
}

/// Waits until NSD answers the SOA of `origin` over UDP, or has exited.
fn wait_ready(child: &mut Child, address: SocketAddr, origin: &str) -> io::Result<()> {
    let socket = UdpSocket::bind(("127.0.0.1", 0))?;
    socket.set_read_timeout(Some(Duration::from_millis(200)))?;
    let query = soa_query(origin);
    let start = Instant::now();
    while start.elapsed() < READY_WITHIN {
        if let Some(status) = child.try_wait()? {
            return Err(io::Error::other(format!("NSD exited ({status})")));
        }
        socket.send_to(&query, address)?;
        let mut answer = [0u8; 512];
        if let Ok((n, _)) = socket.recv_from(&mut answer) {
            // The same id, a response, RCODE 0 (NOERROR) with an answer.
            if n >= 12 && answer[..2] == query[..2] && answer[2] & 0x80 != 0 && answer[3] & 0x0f == 0 && answer[7] > 0 {
                return Ok(());
            }
        }
    }
    Err(io::Error::other(format!("no answer for the SOA of {origin} within {READY_WITHIN:?}")))
}

/// A DNS query (RFC 1035, 4.1) for the SOA record of `origin`.
fn soa_query(origin: &str) -> Vec<u8> {
    let mut query = vec![0x4d, 0x4f, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in origin.trim_end_matches('.').split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 6, 0, 1]);
    query
}
