//! The `itemEvents` subscription over WebSocket (graphql-transport-ws).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Pyramid, TestApp};
use crate::items::{raise, soft_intelligence};

#[tokio::test]
async fn a_subscriber_receives_the_events_it_may_see_as_they_are_committed() {
    let app = TestApp::spawn().await;
    let p = Pyramid::build(&app).await;
    let url = app.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");

    let send = |value: Value| Message::Text(value.to_string().into());
    socket
        .send(send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", p.ppg_chair.token) } })))
        .await
        .unwrap();
    let ack = socket.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("connection_ack"), "{ack}");
    socket
        .send(send(json!({
            "id": "1",
            "type": "subscribe",
            "payload": { "query": "subscription { itemEvents { kind group { name } item { title } } }" },
        })))
        .await
        .unwrap();

    // The subscriber starts following at some point after `subscribe`; keep raising until
    // two events have arrived. Items in the other district are raised first each time and
    // must never arrive: the chair of North A cannot see them.
    let mut received = Vec::new();
    for n in 0..40 {
        raise(
            &app,
            p.south_member.token(),
            soft_intelligence(p.ppgs[1][0].0, &format!("South {n}"), "Not for North."),
        )
        .await;
        raise(
            &app,
            p.ppg_member.token(),
            soft_intelligence(p.ppgs[0][0].0, &format!("North {n}"), "For North."),
        )
        .await;
        while let Ok(Some(message)) =
            tokio::time::timeout(Duration::from_secs(1), socket.next()).await
        {
            let message: Value = serde_json::from_str(message.unwrap().to_text().unwrap()).unwrap();
            assert_eq!(message["type"], "next", "{message}");
            received.push(message["payload"]["data"]["itemEvents"].clone());
        }
        if received.len() >= 2 {
            break;
        }
    }
    assert!(received.len() >= 2, "no events arrived");
    for event in &received {
        assert_eq!(event["kind"], "RAISED");
        assert_eq!(event["group"]["name"], "North A");
        assert!(
            event["item"]["title"]
                .as_str()
                .unwrap()
                .starts_with("North"),
            "{event}"
        );
    }
}

#[tokio::test]
async fn a_websocket_with_a_bad_token_is_refused() {
    let app = TestApp::spawn().await;
    let url = app.address.replace("http://", "ws://") + "/graphql";
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("websocket");
    socket
        .send(Message::Text(
            json!({ "type": "connection_init", "payload": { "Authorization": "Bearer pyr_nope" } })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an answer");
    match answer {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert!(frame.reason.contains("API token"), "{frame:?}")
        }
        other => panic!("expected the connection to be closed, got {other:?}"),
    }
}
