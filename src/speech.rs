//! Newsletters and reports as audio: the speech courier makes a published newsletter's or
//! report's audio version from its plain text (written to read well aloud) with `espeak-ng`'s
//! British English voice, encodes it as Ogg/Opus with `opusenc` (both Debian packages:
//! `espeak-ng`, `opus-tools`), and stores it once (`services::recordings`). It runs as an outbox courier so
//! that publishing only queues the work (the page is never held up by the synthesiser), a
//! crash part-way is retried, and the recording is never made twice; when the programs are
//! missing the delivery is retried and finally given up with the reason, seen by the issuing
//! group's officers among their failed deliveries.

use std::process::Stdio;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::domain::authz::Actor;
use crate::domain::delivery::Medium;
use crate::error::AppError;
use crate::render::NewsletterView;
use crate::services::outbox::Message;
use crate::services::recordings::{self, Recorded};
use crate::services::{groups, newsletters, reports};
use crate::workers::{Courier, Delivering, Failure, Parcel};

/// What the recordings are: Ogg/Opus, which phones and browsers play.
pub const MEDIA_TYPE: &str = "audio/ogg; codecs=opus";
/// The voice: British English.
pub const VOICE: &str = "en-gb";
/// Longer than any newsletter takes to synthesise; a stuck program is stopped after it.
const TIME_LIMIT: Duration = Duration::from_secs(300);

/// The programs a recording is made with, found on `PATH` unless told otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Programs {
    /// Speaks text as WAV on its standard output (`espeak-ng`).
    pub speak: String,
    /// Encodes WAV as Ogg/Opus (`opusenc`).
    pub encode: String,
}

impl Default for Programs {
    fn default() -> Self {
        Self {
            speak: "espeak-ng".to_owned(),
            encode: "opusenc".to_owned(),
        }
    }
}

/// Why a recording could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpeechError {
    /// A program is not installed on this server.
    Missing(String),
    /// A program ran and failed, or made something that is not Ogg/Opus.
    Failed(String),
}

impl SpeechError {
    pub fn reason(&self) -> String {
        match self {
            SpeechError::Missing(program) => format!(
                "{program} is not installed on this server, so the audio version cannot be made \
                 (install the Debian packages espeak-ng and opus-tools; it is tried again later)"
            ),
            SpeechError::Failed(why) => format!("the audio version could not be made: {why}"),
        }
    }
}

/// A recording of `text`: Ogg/Opus bytes and how long it plays.
#[derive(Debug, Clone)]
pub struct Recording {
    pub bytes: Vec<u8>,
    pub duration: Duration,
}

/// Speaks `text` in British English and encodes it as Ogg/Opus.
pub async fn synthesise(programs: &Programs, text: &str) -> Result<Recording, SpeechError> {
    let wav = run(
        &programs.speak,
        &["-v", VOICE, "-s", "160", "--stdin", "--stdout"],
        text.as_bytes().to_vec(),
    )
    .await?;
    let bytes = run(
        &programs.encode,
        &["--quiet", "--speech", "--bitrate", "32", "-", "-"],
        wav,
    )
    .await?;
    let duration = ogg_opus_duration(&bytes)
        .ok_or_else(|| SpeechError::Failed("opusenc did not make an Ogg/Opus file".to_owned()))?;
    Ok(Recording { bytes, duration })
}

/// Runs a program with `input` on its standard input and returns its standard output.
async fn run(program: &str, args: &[&str], input: Vec<u8>) -> Result<Vec<u8>, SpeechError> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => SpeechError::Missing(program.to_owned()),
            _ => SpeechError::Failed(format!("{program} could not be started ({e})")),
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| SpeechError::Failed(format!("{program} has no input")))?;
    // Written while the output is read, so a long text never fills both pipes at once.
    let writer = tokio::spawn(async move {
        let written = stdin.write_all(&input).await;
        drop(stdin);
        written
    });
    let output = tokio::time::timeout(TIME_LIMIT, child.wait_with_output())
        .await
        .map_err(|_| SpeechError::Failed(format!("{program} took longer than five minutes")))?
        .map_err(|e| SpeechError::Failed(format!("{program} failed ({e})")))?;
    let _ = writer.await;
    if !output.status.success() {
        let said = String::from_utf8_lossy(&output.stderr);
        return Err(SpeechError::Failed(format!(
            "{program} stopped with {} ({})",
            output.status,
            said.trim().chars().take(200).collect::<String>()
        )));
    }
    Ok(output.stdout)
}

/// How long an Ogg/Opus file plays, read from the file itself: the last page's granule
/// position (48 kHz samples) less the pre-skip in its `OpusHead`. `None` for anything that
/// is not an Ogg stream starting with an Opus header.
pub fn ogg_opus_duration(bytes: &[u8]) -> Option<Duration> {
    if !bytes.starts_with(b"OggS") {
        return None;
    }
    let head = find(bytes.get(..bytes.len().min(200))?, b"OpusHead")?;
    let pre_skip = u16::from_le_bytes([*bytes.get(head + 10)?, *bytes.get(head + 11)?]);
    // Pages are at most 64 KiB; the last one starts within the final 64 KiB.
    let tail_start = bytes.len().saturating_sub(65_536 + 27);
    let last = rfind(&bytes[tail_start..], b"OggS")? + tail_start;
    let granule = i64::from_le_bytes(bytes.get(last + 6..last + 14)?.try_into().ok()?);
    let samples = granule.checked_sub(i64::from(pre_skip))?;
    u64::try_from(samples)
        .ok()
        .map(|s| Duration::from_millis(s * 1_000 / 48_000))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The outbox courier for recordings (`Medium::Audio`).
pub struct SpeechCourier {
    db: DatabaseConnection,
    programs: Programs,
}

impl SpeechCourier {
    pub fn new(db: DatabaseConnection) -> Self {
        Self::with_programs(db, Programs::default())
    }

    /// With other programs (a test's missing synthesiser).
    pub fn with_programs(db: DatabaseConnection, programs: Programs) -> Self {
        Self { db, programs }
    }

    async fn record(&self, parcel: &Parcel) -> Result<(), Failure> {
        let retry = |error: AppError| Failure::Retry {
            reason: error.message(),
            after: None,
        };
        let of = match &parcel.message {
            Message::NewsletterAudio { newsletter_id, .. } => Recorded::Newsletter(*newsletter_id),
            Message::ReportAudio { report_id, .. } => Recorded::Report(*report_id),
            other => {
                return Err(Failure::GiveUp(format!(
                    "a {} message is not made into audio",
                    other.kind()
                )));
            }
        };
        // Made once: a retry after a crash between storing and marking finds it there.
        if recordings::exists(&self.db, of).await.map_err(retry)? {
            return Ok(());
        }
        let text = match self.text_of(of).await {
            Ok(text) => text,
            Err(AppError::NotFound(_)) => {
                return Err(Failure::GiveUp("it is no longer published".to_owned()));
            }
            Err(error) => return Err(retry(error)),
        };
        let recording =
            synthesise(&self.programs, &text)
                .await
                .map_err(|error| Failure::Retry {
                    reason: error.reason(),
                    after: None,
                })?;
        recordings::store(&self.db, of, MEDIA_TYPE, &recording)
            .await
            .map_err(retry)?;
        tracing::info!(of = ?of, seconds = recording.duration.as_secs(), "an audio version was made");
        Ok(())
    }

    /// What is read aloud: the plain text, written to read well aloud (a newsletter's made
    /// now from its entries; a report's as it was published).
    async fn text_of(&self, of: Recorded) -> Result<String, AppError> {
        match of {
            Recorded::Newsletter(id) => {
                let newsletter = newsletters::get(&self.db, &Actor::Anonymous, id).await?;
                let issuer = groups::get(&self.db, newsletter.group_id).await?;
                let view = NewsletterView::new(&newsletter, issuer.name.as_str());
                Ok(crate::render::text(&view))
            }
            Recorded::Report(id) => Ok(reports::get(&self.db, id).await?.rendered.text),
        }
    }
}

impl Courier for SpeechCourier {
    fn deliver<'a>(&'a self, parcel: &'a Parcel) -> Delivering<'a> {
        Box::pin(self.record(parcel))
    }

    fn media(&self) -> Vec<Medium> {
        vec![Medium::Audio]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-page Ogg stream with an Opus head (pre-skip 312) whose page ends at `granule`.
    fn ogg(granule: i64) -> Vec<u8> {
        let mut bytes = b"OggS\0\x02".to_vec();
        bytes.extend_from_slice(&0i64.to_le_bytes());
        bytes.extend_from_slice(&[0; 13]);
        bytes.extend_from_slice(b"OpusHead\x01\x01");
        bytes.extend_from_slice(&312u16.to_le_bytes());
        bytes.extend_from_slice(&[0; 8]);
        bytes.extend_from_slice(b"OggS\0\x04");
        bytes.extend_from_slice(&granule.to_le_bytes());
        bytes.extend_from_slice(&[0; 13]);
        bytes
    }

    #[test]
    fn the_duration_is_read_from_the_last_page() {
        assert_eq!(
            ogg_opus_duration(&ogg(48_000 * 3 + 312)),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn anything_else_has_no_duration() {
        assert_eq!(ogg_opus_duration(b"ID3\x03 not ogg"), None);
        assert_eq!(ogg_opus_duration(b"OggS but no opus head"), None);
    }

    #[test]
    fn a_missing_program_says_what_to_install() {
        let reason = SpeechError::Missing("espeak-ng".to_owned()).reason();
        assert!(reason.contains("espeak-ng is not installed"), "{reason}");
        assert!(reason.contains("opus-tools"), "{reason}");
    }
}
