//! The pages e-mails link to: confirming an address (`GET /email/confirm/{token}`) and
//! stopping e-mail to one (`/email/unsubscribe/{token}`: GET asks, POST does it, so a mail
//! program that opens links to check them unsubscribes nobody; mail programs offering
//! one-click unsubscribing POST, RFC 8058). Small pages in plain words; the token in the
//! address is the only credential, so the pages are never cached and send no referrer.

use poem::http::StatusCode;
use poem::web::{Data, Html, Path};
use poem::{IntoResponse, Response, handler};

use crate::app::AppState;
use crate::render::{escape, simple_page};
use crate::services::email::{self, AddressOf, LinkRefused};

fn page(status: StatusCode, title: &str, paragraphs: &[String], form: Option<&str>) -> Response {
    let mut main = format!("<h1>{}</h1>\n", escape(title));
    for paragraph in paragraphs {
        main.push_str(&format!("<p>{}</p>\n", escape(paragraph)));
    }
    if let Some(form) = form {
        main.push_str(form);
    }
    (status, Html(simple_page(title, &main, None)))
        .with_header("Cache-Control", "no-store")
        .with_header("Referrer-Policy", "no-referrer")
        .with_header("X-Robots-Tag", "noindex")
        .into_response()
}

fn refused(refusal: LinkRefused, what: &str) -> Response {
    let (status, title, why) = match refusal {
        LinkRefused::Unknown => (
            StatusCode::NOT_FOUND,
            "This link does not work",
            "Pyramid does not recognise this link. Check that the whole link was copied: some mail programs split long links over two lines.".to_owned(),
        ),
        LinkRefused::Used => (
            StatusCode::GONE,
            "Already confirmed",
            "This address was already confirmed with this link, so there is nothing more to do.".to_owned(),
        ),
        LinkRefused::Expired => (
            StatusCode::GONE,
            "This link has expired",
            format!(
                "Confirmation links work for {} hours. Ask Pyramid for a new one ({what}).",
                email::CONFIRMATION_LIFETIME_HOURS
            ),
        ),
        LinkRefused::Replaced => (
            StatusCode::GONE,
            "This link has been replaced",
            format!(
                "A newer confirmation was asked for since this e-mail was sent: use the link in the newest e-mail, or ask for a new one ({what})."
            ),
        ),
        LinkRefused::Taken => (
            StatusCode::CONFLICT,
            "This address is already in use",
            "Someone else in Pyramid confirmed this address first. Ask your group's secretary or your area's administrator for help.".to_owned(),
        ),
    };
    page(status, title, &[why], None)
}

fn failed(error: &crate::error::AppError) -> Response {
    page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        &[format!(
            "{} Nothing was changed; the link still works.",
            error.message()
        )],
        None,
    )
}

/// Confirms an address from the link in its confirmation e-mail.
#[handler]
pub(super) async fn confirm(Data(state): Data<&AppState>, Path(token): Path<String>) -> Response {
    match email::confirm(&state.db, &token).await {
        Ok(Ok(AddressOf::Member { address })) => page(
            StatusCode::OK,
            "Your e-mail address is confirmed",
            &[
                format!(
                    "Thank you. Pyramid can now e-mail you at {} about the items you raise.",
                    address.as_str()
                ),
                "You choose how you hear (chat, e-mail, both or neither) with setDeliveryPreference in Pyramid. Every e-mail has a link to stop them.".to_owned(),
            ],
            None,
        ),
        Ok(Ok(AddressOf::Group { name, address })) => page(
            StatusCode::OK,
            "The mailing address is confirmed",
            &[
                format!(
                    "Thank you. {name}'s newsletters will now be e-mailed to {}.",
                    address.as_str()
                ),
                "Every newsletter e-mail has a link to stop them.".to_owned(),
            ],
            None,
        ),
        Ok(Err(refusal)) => refused(refusal, "requestEmailConfirmation or setGroupMailingAddress"),
        Err(error) => failed(&error),
    }
}

fn stopping(of: &AddressOf) -> String {
    match of {
        AddressOf::Member { address } => format!(
            "Pyramid will stop e-mailing {} about the items you raise. If you also chose chat, you will still hear there.",
            address.as_str()
        ),
        AddressOf::Group { name, address } => format!(
            "{name}'s newsletters will no longer be e-mailed to {}. Its secretary or chair can set a mailing address again in Pyramid.",
            address.as_str()
        ),
    }
}

/// Asks whether to stop e-mail to the address (opening the link changes nothing).
#[handler]
pub(super) async fn unsubscribe_page(
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
) -> Response {
    match email::unsubscribe_preview(&state.read, &token).await {
        Ok(Ok(of)) => page(
            StatusCode::OK,
            "Stop these e-mails?",
            &[stopping(&of)],
            Some(
                "<form method=\"post\">\n<button type=\"submit\">Stop these e-mails</button>\n</form>\n",
            ),
        ),
        Ok(Err(refusal)) => refused(refusal, "a newer e-mail"),
        Err(error) => failed(&error),
    }
}

/// Stops e-mail to the address.
#[handler]
pub(super) async fn unsubscribe(
    Data(state): Data<&AppState>,
    Path(token): Path<String>,
) -> Response {
    match email::unsubscribe(&state.db, &token).await {
        Ok(Ok(done)) => {
            let said = if done.stopped_now {
                stopping(&done.from)
            } else {
                "This address was already not receiving these e-mails, so nothing has changed."
                    .to_owned()
            };
            page(StatusCode::OK, "No more of these e-mails", &[said], None)
        }
        Ok(Err(refusal)) => refused(refusal, "a newer e-mail"),
        Err(error) => failed(&error),
    }
}
