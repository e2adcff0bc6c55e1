//! The download host of the framings tiny_http cannot send (`Framing::Close`,
//! `Framing::LengthCut`, `Framing::ChunkedCut`): a plain TCP listener that
//! answers one request per connection and then closes it, the body whole and
//! ending with the connection, or cut after a whole record while its framing
//! promised more. It serves the files as they are; the download faults do not
//! apply.

use std::io::Write;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;

use super::handler::{report_of_file, unquote, InFlight, Shared};
use super::scripted::read_request;
use super::{Framing, Host, RequestRecord};

/// Accepts connections until the mock stops, answering each on its own thread.
pub fn serve(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.is_stopping() {
            break;
        }
        // A failed accept ends that connection, not the listener.
        let Ok(stream) = stream else { continue };
        let flight = shared.in_flight();
        std::thread::spawn(move || answer(flight, stream));
    }
}

/// Reads one request and answers it, then closes the connection.
fn answer(flight: InFlight, stream: TcpStream) {
    let shared = flight.shared();
    let Some(request) = read_request(&stream) else { return };
    let authorization = request.header("authorization").is_some_and(|value| !value.is_empty());
    let method = request.method;
    let path = unquote(&request.target, false);
    shared.state().log.push(RequestRecord { host: Host::Download, method, path: path.clone(), authorization });
    let answer = match path.strip_prefix("/download/").and_then(|name| Some((name, shared.file(name)?))) {
        Some((name, data)) => {
            *shared.state().downloads.entry(report_of_file(name).to_string()).or_insert(0) += 1;
            framed(shared.framing(), &data)
        }
        None => b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nNo such file".to_vec(),
    };
    let mut stream = &stream;
    // The client may be gone already: nothing to do about it.
    let _ = stream.write_all(&answer).and_then(|()| stream.flush());
    let _ = stream.shutdown(Shutdown::Write);
}

/// The whole answer of a download of `data` as `framing` sends it.
fn framed(framing: Framing, data: &[u8]) -> Vec<u8> {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n";
    // After the first line end from the middle on: a cut no line-end check can see.
    let middle = data.len() / 2;
    let cut = data[middle..].windows(2).position(|w| w == b"\r\n").map_or(data.len(), |at| middle + at + 2);
    let mut out = match framing {
        Framing::LengthCut => format!("{head}Content-Length: {}\r\n\r\n", data.len()),
        Framing::ChunkedCut => format!("{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n", cut),
        Framing::Close | Framing::Length | Framing::Chunked => format!("{head}\r\n"),
    }
    .into_bytes();
    match framing {
        Framing::LengthCut => out.extend_from_slice(&data[..cut]),
        // The chunk is whole; the last, empty chunk never comes.
        Framing::ChunkedCut => {
            out.extend_from_slice(&data[..cut]);
            out.extend_from_slice(b"\r\n");
        }
        Framing::Close | Framing::Length | Framing::Chunked => out.extend_from_slice(data),
    }
    out
}
