//! Property tests of the router as a client meets it: any path, with or without a version
//! prefix, any method, any JSON body. Whatever comes, the answer is an answer (no panic), an
//! unknown page is Docker's 404 `{"message": "page not found"}`, `/v1.41/x` is answered as
//! `/x`, and a body that is not what an endpoint takes is a 400 with a message, never a 500.
//!
//! The router runs on an empty data root: every container, image or exec the paths name is
//! unknown. Network routes are left out: their first use makes the default bridge, which a
//! unit test must not do to the host's network.

use axum::body::Body;
use axum::http::{Method, Request};
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

use super::{AppState, router, with_version_prefix};

/// What each connection is served with: the router behind the version prefix rewrite.
type App = tower::util::MapRequest<axum::Router, fn(axum::extract::Request) -> axum::extract::Request>;

/// The router on a fresh, empty data root.
fn app() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let flags = crate::daemon::DaemonFlags {
        data_root: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let config = crate::daemon::DaemonConfig::merge(&flags, &Default::default(), dir.path()).unwrap();
    let make = with_version_prefix(router(AppState::new(&config).unwrap()));
    // `IntoMakeService` answers at once, with a clone of the service
    let made = futures_util::FutureExt::now_or_never(make.oneshot(())).expect("made at once");
    let app = made.unwrap_or_else(|never| match never {});
    (dir, app)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// One request: the status and the body (JSON when it is JSON, else `Value::Null`).
fn answer(
    rt: &tokio::runtime::Runtime,
    app: &App,
    method: &Method,
    uri: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    rt.block_on(async {
        let response = app.clone().oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let read = axum::body::to_bytes(response.into_body(), 1 << 20);
        let bytes = tokio::time::timeout(std::time::Duration::from_secs(20), read)
            .await
            .expect("an error answer's body ends")
            .unwrap_or_default();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    })
}

/// The body of a Docker error: `{"message": "…"}` with a message, nothing else.
fn is_error_body(body: &Value) -> bool {
    body.as_object().is_some_and(|o| {
        o.len() == 1
            && o.get("message")
                .and_then(Value::as_str)
                .is_some_and(|m| !m.is_empty())
    })
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::DELETE),
        Just(Method::HEAD),
    ]
}

/// A path no route has: its first segment is upper case or punctuation (every route starts
/// with a lower-case word or `_ping`), the rest anything a URI may hold.
fn unknown_path() -> impl Strategy<Value = String> {
    (
        "[A-Z0-9~!$&'()*+,;=:@_-][A-Z0-9~!$&'()*+,;=:@._-]{0,7}",
        proptest::collection::vec("[a-zA-Z0-9._~%-]{0,8}", 0..4),
        any::<bool>(),
    )
        .prop_map(|(first, rest, slash)| {
            let mut path = format!("/{first}");
            for segment in rest {
                path.push('/');
                path.push_str(&segment);
            }
            if slash {
                path.push('/');
            }
            path
        })
}

/// Routes that name a container, image or exec (`{}`), with what they need to get as far as
/// looking it up.
const ID_ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/containers/{}/json", ""),
    ("GET", "/containers/{}/changes", ""),
    ("GET", "/containers/{}/export", ""),
    ("GET", "/containers/{}/top", ""),
    ("GET", "/containers/{}/top?ps_args=aux", ""),
    ("GET", "/containers/{}/archive?path=/etc", ""),
    ("HEAD", "/containers/{}/archive?path=/", ""),
    ("PUT", "/containers/{}/archive?path=/tmp", ""),
    ("GET", "/containers/{}/archive", ""),
    ("GET", "/containers/{}/logs?stdout=1", ""),
    ("GET", "/containers/{}/stats?stream=0", ""),
    ("POST", "/containers/{}/start", ""),
    ("POST", "/containers/{}/stop?t=1", ""),
    ("POST", "/containers/{}/kill", ""),
    ("POST", "/containers/{}/pause", ""),
    ("POST", "/containers/{}/rename?name=renamed", ""),
    ("POST", "/containers/{}/rename", ""),
    ("POST", "/containers/{}/update", r#"{"Memory": 10485760}"#),
    ("POST", "/containers/{}/exec", r#"{"Cmd": ["true"]}"#),
    ("DELETE", "/containers/{}?force=1", ""),
    ("GET", "/exec/{}/json", ""),
    ("POST", "/exec/{}/start", r#"{"Detach": true}"#),
    ("GET", "/images/{}/json", ""),
    ("DELETE", "/images/{}", ""),
];

/// A JSON value made of Docker's own keys (and others), any shape.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[a-zA-Z0-9 /:._-]{0,12}".prop_map(Value::String),
    ];
    let key = prop_oneof![
        Just("Image"),
        Just("Cmd"),
        Just("Entrypoint"),
        Just("Env"),
        Just("Tty"),
        Just("User"),
        Just("WorkingDir"),
        Just("ExposedPorts"),
        Just("HostConfig"),
        Just("Memory"),
        Just("MemorySwap"),
        Just("NanoCpus"),
        Just("CpusetCpus"),
        Just("PidsLimit"),
        Just("PortBindings"),
        Just("NetworkMode"),
        Just("RestartPolicy"),
        Just("Name"),
        Just("MaximumRetryCount"),
        Just("NetworkingConfig"),
        Just("EndpointsConfig"),
        Just("AttachStdout"),
        Just("Detach"),
        Just("Privileged"),
        Just("Driver"),
        Just("IPAM"),
        Just("Config"),
        Just("Subnet"),
        Just("Labels"),
        Just("Options"),
        Just("x"),
    ]
    .prop_map(str::to_owned);
    leaf.prop_recursive(4, 32, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[test]
fn unknown_paths_are_dockers_404_with_and_without_a_version() {
    let (_dir, app) = app();
    let rt = runtime();
    proptest!(ProptestConfig::with_cases(128), |(path in unknown_path(), method in method(), minor in 0u32..60)| {
        let bare = answer(&rt, &app, &method, &path, Vec::new());
        prop_assert_eq!(bare.0, 404, "{} {}: {:?}", method, path, bare.1);
        if method != Method::HEAD {
            prop_assert_eq!(&bare.1, &serde_json::json!({"message": "page not found"}));
        }
        let versioned = answer(&rt, &app, &method, &format!("/v1.41{path}"), Vec::new());
        prop_assert_eq!(&versioned, &bare);
        let other = answer(&rt, &app, &method, &format!("/v1.{minor}{path}"), Vec::new());
        match minor {
            12..=41 => prop_assert_eq!(&other, &bare),
            _ => {
                prop_assert_eq!(other.0, 400);
                prop_assert!(method == Method::HEAD || is_error_body(&other.1), "{:?}", other.1);
            }
        }
    });
}

#[test]
fn known_routes_with_unknown_ids_answer_4xx_with_a_message() {
    let (_dir, app) = app();
    let rt = runtime();
    proptest!(ProptestConfig::with_cases(64), |(
        route in proptest::sample::select(ID_ROUTES),
        id in "[a-zA-Z0-9][a-zA-Z0-9_.-]{0,20}",
        wrong_method in method(),
    )| {
        let (method, template, body) = route;
        let method: Method = method.parse().unwrap();
        let path = template.replace("{}", &id);
        let bare = answer(&rt, &app, &method, &path, body.as_bytes().to_vec());
        prop_assert!(matches!(bare.0, 400 | 404), "{} {}: {:?}", method, path, bare);
        prop_assert!(method == Method::HEAD || is_error_body(&bare.1), "{} {}: {:?}", method, path, bare);
        let versioned = answer(&rt, &app, &method, &format!("/v1.41{path}"), body.as_bytes().to_vec());
        prop_assert_eq!(&versioned, &bare);
        // a route with a method it does not take is an unknown page, as with dockerd
        let route_of = |t: &str| t.split('?').next().unwrap_or_default().to_owned();
        let taken = ID_ROUTES.iter().any(|(m, t, _)| {
            route_of(t) == route_of(template)
                && (*m == wrong_method.as_str() || (wrong_method == Method::HEAD && *m == "GET"))
        });
        // (image names may hold slashes: `/images/{*name}` routes take any tail, as dockerd's)
        if !taken && !template.starts_with("/images/") {
            let other = answer(&rt, &app, &wrong_method, &path, Vec::new());
            prop_assert_eq!(other.0, 404, "{} {}: {:?}", wrong_method, path, other);
        }
    });
}

#[test]
fn any_json_body_of_create_and_exec_is_a_4xx_with_a_message() {
    let (_dir, app) = app();
    let rt = runtime();
    proptest!(ProptestConfig::with_cases(128), |(
        body in json(),
        image in any::<bool>(),
        uri in prop_oneof![Just("/containers/create"), Just("/containers/nope/exec"), Just("/v1.41/containers/create?name=x")],
    )| {
        let mut body = body;
        if image && let Some(object) = body.as_object_mut() {
            object.insert("Image".into(), Value::from("busybox")); // no image in an empty root
        }
        let (status, answer) = answer(&rt, &app, &Method::POST, uri, body.to_string().into_bytes());
        prop_assert!((400..500).contains(&status), "{} {}: {} {:?}", uri, body, status, answer);
        prop_assert!(is_error_body(&answer), "{} {}: {:?}", uri, body, answer);
    });
}

#[test]
fn bodies_that_are_not_json_are_a_400() {
    let (_dir, app) = app();
    let rt = runtime();
    proptest!(ProptestConfig::with_cases(64), |(
        bytes in proptest::collection::vec(any::<u8>(), 1..64),
        uri in prop_oneof![Just("/containers/create"), Just("/containers/nope/exec"), Just("/containers/nope/update")],
    )| {
        prop_assume!(serde_json::from_slice::<Value>(&bytes).is_err() && !bytes.iter().all(u8::is_ascii_whitespace));
        let (status, answer) = answer(&rt, &app, &Method::POST, uri, bytes);
        prop_assert_eq!(status, 400, "{}: {:?}", uri, answer);
        prop_assert!(is_error_body(&answer));
    });
}

// ANCHOR: network_body_property
/// `POST /networks/create`'s body through the decoder the endpoint uses (the endpoint itself
/// would make bridges on the host): any JSON decodes, or is a 400 with the decoder's reason.
#[test]
fn any_json_body_of_network_create_decodes_or_is_a_400() {
    let rt = runtime();
    proptest!(ProptestConfig::with_cases(256), |(body in json())| {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/networks/create")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let decoded = rt.block_on(<super::error::ApiJson<crate::api_types::NetworkCreateBody> as axum::extract::FromRequest<()>>::from_request(request, &()));
        if let Err(e) = decoded {
            prop_assert_eq!(e.status.as_u16(), 400, "{}: {:?}", body, e);
            prop_assert!(!e.message.is_empty());
        }
    });
}
// ANCHOR_END: network_body_property
