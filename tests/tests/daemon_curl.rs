//! The notes' `curl --unix-socket` examples against `minidocker daemon`, with curl itself:
//! list containers under `/v1.40`, create one from a JSON body, start it, wait for it, read
//! its multiplexed logs, and Docker's answers (checked against dockerd 20.10) at each step.

use std::path::Path;

use minidocker_e2e::{Cmd, Output};
use minidocker_e2e::{TestDaemon, TestEnv, root_test};
use serde_json::Value;

/// `curl -s --unix-socket SOCKET ARGS… http://localhost/PATH`, with the status code on the
/// last line of stdout.
fn curl(socket: &Path, args: &[&str], path: &str) -> (u16, Vec<u8>) {
    let out: Output = Cmd::new("curl")
        .args(["-s", "-w", "\n%{http_code}", "--unix-socket"])
        .arg(socket)
        .args(args)
        .arg(format!("http://localhost{path}"))
        .output();
    assert_eq!(out.code, 0, "curl {path}: {out}");
    // the frames of `logs` are ASCII bytes, so stdout read as text keeps them
    let raw = out.stdout.as_bytes().to_vec();
    let split = raw.iter().rposition(|b| *b == b'\n').expect("the status line");
    let status = String::from_utf8_lossy(&raw[split + 1..])
        .trim()
        .parse()
        .expect("a status code");
    (status, raw[..split].to_vec())
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[test]
fn the_notes_curl_examples_work() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let socket = daemon.socket();

    let (status, body) = curl(&socket, &[], "/v1.40/containers/json");
    assert_eq!((status, json(&body)), (200, serde_json::json!([])));

    let (status, body) = curl(
        &socket,
        &[
            "-H",
            "Content-Type: application/json",
            "-d",
            r#"{"Image":"busybox","Cmd":["sh","-c","echo hi from curl"]}"#,
        ],
        "/v1.40/containers/create?name=curltest",
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let created = json(&body);
    let id = created["Id"].as_str().expect("an Id");
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{created}"
    );
    assert_eq!(created["Warnings"], serde_json::json!([]));

    let (status, body) = curl(&socket, &["-X", "POST"], "/v1.40/containers/curltest/start");
    assert_eq!((status, body.as_slice()), (204, &b""[..]));
    let (status, body) = curl(&socket, &["-X", "POST"], "/v1.40/containers/curltest/wait");
    assert_eq!(
        (status, json(&body)),
        (200, serde_json::json!({"Error": null, "StatusCode": 0}))
    );

    // the output as dockerd frames it: stream 1, three zero bytes, the length, the bytes
    let (status, body) = curl(&socket, &[], "/v1.40/containers/curltest/logs?stdout=1&stderr=1");
    assert_eq!(status, 200);
    let mut expected = vec![1, 0, 0, 0, 0, 0, 0, 13];
    expected.extend_from_slice(b"hi from curl\n");
    assert_eq!(body, expected);

    let (status, body) = curl(&socket, &[], "/containers/json?all=1");
    assert_eq!(status, 200);
    let listed = json(&body);
    assert_eq!(listed[0]["Names"], serde_json::json!(["/curltest"]));
    assert_eq!(listed[0]["Command"], "sh -c 'echo hi from curl'");
    assert_eq!(listed[0]["State"], "exited");

    // a body the daemon cannot read, and a container it does not have
    let (status, body) = curl(
        &socket,
        &["-H", "Content-Type: application/json", "-d", "{\"Image\": "],
        "/v1.40/containers/create",
    );
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&body));
    assert!(json(&body)["message"].is_string());
    let (status, body) = curl(&socket, &["-X", "POST"], "/v1.40/containers/nothere/start");
    assert_eq!(
        (status, json(&body)),
        (404, serde_json::json!({"message": "No such container: nothere"}))
    );

    let (status, _) = curl(&socket, &["-X", "DELETE"], "/v1.40/containers/curltest");
    assert_eq!(status, 204);
    assert_eq!(env.container_ids(), Vec::<String>::new());
}
