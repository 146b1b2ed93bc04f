//! What Pyramid's e-mails say: pure functions from a delivery's message (and what the courier
//! looked up for it) to a subject, a plain-text part and an HTML part. Every e-mail says why
//! it was sent and how to stop it; newsletters reuse `render.rs`.

use std::fmt::Write;

use crate::domain::item::{EventKind, Outcome};
use crate::render::{self, NewsletterView, escape, simple_page};
use crate::services::email::RecipientKind;
use crate::services::outbox::Message;

/// One e-mail's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The address's confirmation, with its one-time link.
pub fn confirmation(
    name: &str,
    of: RecipientKind,
    address: &str,
    link: &str,
    hours: i64,
) -> Letter {
    let (subject, asked) = match of {
        RecipientKind::Member => (
            "Confirm your e-mail address for Pyramid".to_owned(),
            format!(
                "{name} asked Pyramid to write to {address} about what happens to the items they raise."
            ),
        ),
        RecipientKind::Group => (
            format!("Confirm this address for {name}'s newsletters"),
            format!("Someone asked Pyramid to e-mail {name}'s newsletters to {address}."),
        ),
    };
    let confirm =
        format!("If that is right, confirm it by opening this link within {hours} hours:");
    let ignore =
        "If you did not expect this, ignore this e-mail: nothing will be sent to this address.";
    let text = format!("{asked}\n\n{confirm}\n{link}\n\n{ignore}\n");
    let html = simple_page(
        &subject,
        &format!(
            "<h1>{}</h1>\n<p>{}</p>\n<p>{}</p>\n<p><a href=\"{}\">Confirm {}</a></p>\n<p>{}</p>\n",
            escape(&subject),
            escape(&asked),
            escape(&confirm),
            escape(link),
            escape(address),
            escape(ignore),
        ),
        None,
    );
    Letter {
        subject,
        text,
        html,
    }
}

/// What happened to a member's item. `group` is the group holding it now; `unsubscribe` the
/// link that stops these e-mails.
pub fn item_update(message: &Message, group: &str, public_url: &str, unsubscribe: &str) -> Letter {
    let Message::ItemUpdate {
        reference,
        title,
        event,
        answer,
        outcome,
        ..
    } = message
    else {
        return Letter {
            subject: String::new(),
            text: String::new(),
            html: String::new(),
        };
    };
    let (subject, lead) = match event {
        EventKind::Responded => (
            format!("Your item {reference} has been answered"),
            format!(
                "Your item {reference} ({title}) has been answered ({}).",
                outcome.map(Outcome::told).unwrap_or("answered")
            ),
        ),
        EventKind::ChangeMade => (
            format!("The change planned for {reference} has been made"),
            format!("The change planned for your item {reference} ({title}) has been made."),
        ),
        EventKind::Referred => (
            format!("Your item {reference} has gone to the commissioners"),
            format!(
                "Your item {reference} ({title}) has been referred to the commissioners' quality team."
            ),
        ),
        _ => (
            format!("Your item {reference} has been taken up to {group}"),
            format!("Your item {reference} ({title}) has been taken up to {group}."),
        ),
    };
    let answer = answer.as_deref().filter(|a| !a.is_empty());
    let said = match event {
        EventKind::ChangeMade => "What was done",
        _ => "The answer",
    };
    let thanks = "Thank you for raising it.";
    let follow = format!(
        "To follow it, ask your PPG's secretary, or look it up in Pyramid ({public_url}/graphql) with its reference, {reference}."
    );
    let mut text = format!("{lead}\n\n");
    if let Some(answer) = answer {
        let _ = write!(text, "{said}:\n{answer}\n\n");
    }
    let _ = write!(text, "{thanks}\n\n{follow}\n");
    let mut main = format!("<h1>{}</h1>\n<p>{}</p>\n", escape(&subject), escape(&lead));
    if let Some(answer) = answer {
        let _ = writeln!(main, "<h2>{said}</h2>");
        for paragraph in answer.split("\n\n").filter(|p| !p.trim().is_empty()) {
            let _ = writeln!(main, "<p>{}</p>", escape(paragraph.trim()));
        }
    }
    let _ = write!(
        main,
        "<p>{}</p>\n<p>{}</p>\n",
        escape(thanks),
        escape(&follow)
    );
    let why =
        "You get this e-mail because you raised this item in Pyramid and chose to hear by e-mail.";
    finish(subject, text, main, why, unsubscribe)
}

/// A message Pyramid says in a few lines (a pattern alert, a watch's digest): the same words
/// as in chat, one paragraph per line.
pub fn lines(subject: String, body: &str, why: &str, unsubscribe: &str) -> Letter {
    let text = format!("{body}\n");
    let mut main = format!("<h1>{}</h1>\n", escape(&subject));
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        let _ = writeln!(main, "<p>{}</p>", escape(line.trim()));
    }
    finish(subject, text, main, why, unsubscribe)
}

/// A newsletter for a group's mailing address: the whole newsletter (as `render.rs` shows
/// it), with the addresses of its page in every format.
pub fn newsletter(view: &NewsletterView, public_url: &str, unsubscribe: &str) -> Letter {
    let n = view.newsletter;
    let subject = n.title.to_string();
    let formats = [
        (
            "Standard print",
            crate::domain::newsletter::PageFormat::Html,
        ),
        (
            "Large print",
            crate::domain::newsletter::PageFormat::LargePrint,
        ),
        ("Plain text", crate::domain::newsletter::PageFormat::Text),
    ];
    let mut text = render::text(view);
    let _ = write!(text, "\nRead it online:\n");
    for (label, format) in formats {
        let _ = writeln!(text, "{label}: {public_url}{}", format.path(n.id));
    }
    let mut main = render::content_html(view);
    main.push_str("<h2>Read it online</h2>\n<ul>\n");
    for (label, format) in formats {
        let _ = writeln!(
            main,
            "<li><a href=\"{}\">{label}</a></li>",
            escape(&format!("{public_url}{}", format.path(n.id)))
        );
    }
    main.push_str("</ul>\n");
    let why = format!(
        "You get this e-mail because this address receives the newsletters {} sends to its groups.",
        view.issuer
    );
    finish(subject, text, main, &why, unsubscribe)
}

/// Adds the footer every e-mail but a confirmation has: why it came, and how to stop it.
fn finish(subject: String, mut text: String, main: String, why: &str, unsubscribe: &str) -> Letter {
    let stop = "To stop these e-mails, open this link:";
    let _ = write!(text, "\n--\n{why}\n{stop} {unsubscribe}\n");
    let footer = format!(
        "<p>{}</p>\n<p><a href=\"{}\">Stop these e-mails</a></p>\n",
        escape(why),
        escape(unsubscribe)
    );
    let html = simple_page(&subject, &main, Some(&footer));
    Letter {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::item::Status;
    use crate::domain::{GroupId, ItemEventId, ItemId};

    #[test]
    fn an_answer_says_what_was_done_and_how_to_stop_the_e_mails() {
        let message = Message::ItemUpdate {
            item_id: ItemId(4),
            event_id: ItemEventId(9),
            reference: "SI-2026-000004".into(),
            title: "Long <waits>".into(),
            event: EventKind::Responded,
            status: Status::Responded,
            group_id: GroupId(1),
            answer: Some("Two more clinicians.".into()),
            outcome: Some(Outcome::ChangeMade),
            origin_group_id: Some(GroupId(3)),
        };
        let letter = item_update(
            &message,
            "Council",
            "https://pyramid.example",
            "https://pyramid.example/email/unsubscribe/abc",
        );
        assert_eq!(letter.subject, "Your item SI-2026-000004 has been answered");
        assert!(letter.text.starts_with(
            "Your item SI-2026-000004 (Long <waits>) has been answered (a change was made).\n\nThe answer:\nTwo more clinicians.\n"
        ));
        assert!(letter.text.ends_with(
            "To stop these e-mails, open this link: https://pyramid.example/email/unsubscribe/abc\n"
        ));
        assert!(letter.html.contains("<html lang=\"en-GB\">"));
        assert!(letter.html.contains("(Long &lt;waits&gt;)"));
        assert!(
            letter
                .html
                .contains("<h2>The answer</h2>\n<p>Two more clinicians.</p>")
        );
        assert!(
            letter
                .html
                .contains("<a href=\"https://pyramid.example/email/unsubscribe/abc\">")
        );
    }

    #[test]
    fn a_change_made_is_told_as_made_with_what_was_done() {
        let message = Message::ItemUpdate {
            item_id: ItemId(4),
            event_id: ItemEventId(12),
            reference: "SI-2026-000004".into(),
            title: "Long waits".into(),
            event: EventKind::ChangeMade,
            status: Status::Responded,
            group_id: GroupId(1),
            answer: Some("Two evening clinicians since Monday.".into()),
            outcome: Some(Outcome::ChangeMade),
            origin_group_id: Some(GroupId(3)),
        };
        let letter = item_update(
            &message,
            "Council",
            "https://p.example",
            "https://p.example/u",
        );
        assert_eq!(
            letter.subject,
            "The change planned for SI-2026-000004 has been made"
        );
        assert!(letter.text.starts_with(
            "The change planned for your item SI-2026-000004 (Long waits) has been made.\n\nWhat was done:\nTwo evening clinicians since Monday.\n"
        ), "{}", letter.text);
        assert_eq!(
            crate::chat::reply::item_update(&message, "Council"),
            "The change planned for your item SI-2026-000004 (Long waits) has been made: Two evening clinicians since Monday.\nThank you for raising it."
        );
    }

    #[test]
    fn a_confirmation_says_who_asked_and_what_to_do_if_nobody_did() {
        let letter = confirmation(
            "North A",
            RecipientKind::Group,
            "ppg@example.org",
            "https://p.example/email/confirm/t",
            48,
        );
        assert_eq!(
            letter.subject,
            "Confirm this address for North A's newsletters"
        );
        assert!(
            letter
                .text
                .contains("within 48 hours:\nhttps://p.example/email/confirm/t\n")
        );
        assert!(letter.text.contains("ignore this e-mail"));
        assert!(
            letter
                .html
                .contains("<h1>Confirm this address for North A&#39;s newsletters</h1>")
        );
    }
}
