//! The scripted host: a server on loopback that reads one request per connection and
//! writes back, byte for byte, what the test's function answers to it, then closes
//! the connection. A test can so send what no well-behaved server would: a body cut
//! short, a bad chunk, a link that loops, an answer that never comes.
//!
//! It is part of the one mock and knows nothing of the services the rest of the
//! mock stands in for, so the unit tests of the HTTP layer (`src/http`) and of the
//! API clients (`custom/`) mount this file as it is, and the stand-ins built on raw
//! bytes (the TeamPass API, the download host, Vault) read their requests with
//! [`read_request`].

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Which of the server's hosts (listeners) received it, from 0.
    pub host: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target as sent (a path, or a whole URL through a proxy).
    pub target: String,
    /// The header fields in order, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body, as long as its `Content-Length` said.
    pub body: String,
}

impl Seen {
    /// The value of the first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Reads one request (head, then as much body as its `Content-Length` says) from
/// `stream`, as received by host 0; `None` when not even a request line came. A
/// client that sends less body than it announced is read all the same: what it sent
/// is the body.
pub fn read_request(stream: impl Read) -> Option<Seen> {
    let mut reader = BufReader::new(stream);
    let mut first = String::new();
    if reader.read_line(&mut first).ok()? == 0 {
        return None;
    }
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length = headers.iter().find(|(k, _)| k == "content-length").and_then(|(_, v)| v.parse().ok());
    let mut body = Vec::new();
    // A client that sends less than it announced is answered all the same.
    let _ = reader.take(length.unwrap_or(0)).read_to_end(&mut body);
    Some(Seen { host: 0, method, target, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// What the server answers to a request: the raw bytes to write, then the
/// connection is closed. It is given the server, for the URLs of its hosts and the
/// requests before this one.
type Handler = dyn Fn(&Seen, &Scripted) -> Vec<u8> + Send + Sync;

/// A running server: one or more hosts (ports) on 127.0.0.1 sharing a handler and a
/// log of the requests, in the order they were read. It serves until the test
/// process ends.
#[derive(Clone)]
pub struct Scripted {
    bases: Vec<String>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Starts `hosts` listeners, each on a free port (a second one stands for
    /// another host, such as the one a report download is redirected to).
    pub fn start(hosts: usize, handler: impl Fn(&Seen, &Scripted) -> Vec<u8> + Send + Sync + 'static) -> Scripted {
        let listeners: Vec<TcpListener> =
            (0..hosts).map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port")).collect();
        let server = Scripted {
            bases: listeners.iter().map(|l| format!("http://{}", l.local_addr().expect("bound address"))).collect(),
            seen: Arc::default(),
        };
        let handler: Arc<Handler> = Arc::new(handler);
        for (host, listener) in listeners.into_iter().enumerate() {
            let (server, handler) = (server.clone(), Arc::clone(&handler));
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let (server, handler) = (server.clone(), Arc::clone(&handler));
                    std::thread::spawn(move || server.serve(host, stream, &*handler));
                }
            });
        }
        server
    }

    /// `http://127.0.0.1:PORT` of host `host`.
    pub fn base(&self, host: usize) -> &str {
        &self.bases[host]
    }

    /// The requests read so far, in order (while a handler runs, its own request is
    /// the last).
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("request log").clone()
    }

    fn serve(&self, host: usize, stream: TcpStream, handler: &Handler) {
        let Some(seen) = read_request(&stream) else { return };
        let seen = Seen { host, ..seen };
        self.seen.lock().expect("request log").push(seen.clone());
        let answer = handler(&seen, self);
        let mut stream = stream;
        // A client that hung up early is the test's to notice, not the server's.
        let _ = stream.write_all(&answer);
        let _ = stream.flush();
    }
}

/// A complete HTTP/1.1 answer with its `Content-Length`, closing the connection.
pub fn reply(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A loopback port nothing listens on right now: a connection to it is refused.
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("bound address").port()
}
