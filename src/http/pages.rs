//! Newsletters and published reports as pages people read, at their stable addresses.

use poem::http::{HeaderMap, StatusCode};
use poem::web::{Data, Html, Path, Query};
use poem::{IntoResponse, Response, handler};

use super::caller;
use crate::app::AppState;
use crate::domain::authz::Actor;
use crate::domain::newsletter::PageFormat;
use crate::domain::report::ReportFormat;
use crate::error::AppError;
use crate::services;
use crate::services::recordings::{self, Recorded};

#[derive(serde::Deserialize)]
struct PageQuery {
    format: Option<String>,
}

/// A newsletter at its stable address: `/newsletters/7` (HTML), `?format=large-print`,
/// `/newsletters/7.txt`, `/newsletters/7.md`, easy read `/newsletters/7.easy.txt` (the
/// secretary's own, or made from the entries), and its audio version `/newsletters/7.ogg`
/// (not found until the speech courier has made it). Published newsletters are public; a draft
/// is shown only to its issuing group's officers (with their bearer token).
#[handler]
pub(super) async fn newsletter_page(
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
    headers: &HeaderMap,
) -> Response {
    let missing = || {
        (
            StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Not found</title></head><body><main><h1>Newsletter not found</h1><p>There is no published newsletter at this address. Check the link, or ask your PPG for a copy.</p></main></body></html>".to_owned()),
        )
            .into_response()
    };
    let Some((number, format)) = PageFormat::parse(&id, query.format.as_deref()) else {
        return missing();
    };
    let actor = caller(state, headers)
        .await
        .map_or(Actor::Anonymous, |(actor, _)| actor);
    let newsletter = match services::newsletters::get(&state.read, &actor, number).await {
        Ok(newsletter) => newsletter,
        Err(AppError::NotFound(_)) => return missing(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    let issuer = match services::groups::get(&state.read, newsletter.group_id).await {
        Ok(group) => group.name.as_str().to_owned(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    if format == PageFormat::Audio {
        return recording(state, Recorded::Newsletter(number), missing).await;
    }
    let (audio, translations) = match (
        recordings::exists(&state.read, Recorded::Newsletter(number)).await,
        services::newsletters::languages(&state.read, number).await,
    ) {
        (Ok(audio), Ok(translations)) => (audio, translations),
        (Err(error), _) | (_, Err(error)) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    let view = crate::render::NewsletterView {
        audio,
        translations: &translations,
        ..crate::render::NewsletterView::new(&newsletter, &issuer)
    };
    match format {
        PageFormat::Audio => missing(),
        PageFormat::EasyRead => {
            match services::newsletters::easy_read_override(&state.read, number).await {
                Ok(own) => own
                    .map_or_else(
                        || crate::render::easy_read::easy_read(&view),
                        |text| format!("{}\n", text.as_str()),
                    )
                    .with_content_type("text/plain; charset=utf-8")
                    .into_response(),
                Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
            }
        }
        PageFormat::Html => Html(crate::render::html(&view, false)).into_response(),
        PageFormat::LargePrint => Html(crate::render::html(&view, true)).into_response(),
        PageFormat::Text => crate::render::text(&view)
            .with_content_type("text/plain; charset=utf-8")
            .into_response(),
        PageFormat::Markdown => crate::render::markdown(&view)
            .with_content_type("text/markdown; charset=utf-8")
            .into_response(),
    }
}

/// A newsletter's translation at its stable address: `/newsletters/7/cy`, and in large
/// print `?format=large-print`, in its language and direction (`dir="rtl"` for Urdu and
/// Arabic), linked to the other languages' pages. Not found when there is no translation
/// into that language.
#[handler]
pub(super) async fn translated_newsletter_page(
    Data(state): Data<&AppState>,
    Path((id, language)): Path<(String, String)>,
    Query(query): Query<PageQuery>,
    headers: &HeaderMap,
) -> Response {
    let missing = || {
        (
            StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Not found</title></head><body><main><h1>Translation not found</h1><p>This newsletter is not published in that language. Check the link, or ask your PPG for a copy.</p></main></body></html>".to_owned()),
        )
            .into_response()
    };
    let large_print = match query.format.as_deref() {
        None => false,
        Some("large-print") => true,
        Some(_) => return missing(),
    };
    let (Some((number, PageFormat::Html)), Some(language)) = (
        PageFormat::parse(&id, None),
        crate::domain::language::Language::parse(&language)
            .filter(|l| *l != crate::domain::language::Language::English),
    ) else {
        return missing();
    };
    let actor = caller(state, headers)
        .await
        .map_or(Actor::Anonymous, |(actor, _)| actor);
    let internal =
        |error: AppError| (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
    let newsletter = match services::newsletters::get(&state.read, &actor, number).await {
        Ok(newsletter) => newsletter,
        Err(AppError::NotFound(_)) => return missing(),
        Err(error) => return internal(error),
    };
    let translation = match services::newsletters::translation(&state.read, number, language).await
    {
        Ok(Some(translation)) => translation,
        Ok(None) => return missing(),
        Err(error) => return internal(error),
    };
    let (issuer, audio, translations) = match (
        services::groups::get(&state.read, newsletter.group_id).await,
        recordings::exists(&state.read, Recorded::Newsletter(number)).await,
        services::newsletters::languages(&state.read, number).await,
    ) {
        (Ok(group), Ok(audio), Ok(translations)) => {
            (group.name.as_str().to_owned(), audio, translations)
        }
        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => return internal(error),
    };
    let (translated, in_english) = crate::domain::newsletter::translate(&newsletter, &translation);
    let view = crate::render::NewsletterView {
        audio,
        language,
        translations: &translations,
        in_english: &in_english,
        ..crate::render::NewsletterView::new(&translated, &issuer)
    };
    Html(crate::render::html(&view, large_print)).into_response()
}

/// A published report at its stable address: `/reports/7` (HTML), `?format=large-print`,
/// `/reports/7.txt`, `/reports/7.md`, for a report with tables `/reports/7.csv`, and its
/// audio version `/reports/7.ogg` (linked from the start; not ready until the speech courier
/// has made it).
/// Published reports are public; they are kept as they were published.
#[handler]
pub(super) async fn report_page(
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Response {
    let missing = || {
        (
            StatusCode::NOT_FOUND,
            Html("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Not found</title></head><body><main><h1>Report not found</h1><p>There is no published report at this address. Check the link, or ask the Patients' Council for a copy.</p></main></body></html>".to_owned()),
        )
            .into_response()
    };
    let Some((number, format)) = ReportFormat::parse(&id, query.format.as_deref()) else {
        return missing();
    };
    let report = match services::reports::get(&state.read, number).await {
        Ok(report) => report,
        Err(AppError::NotFound(_)) => return missing(),
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response();
        }
    };
    if format == ReportFormat::Audio {
        let not_yet = || {
            (
                StatusCode::NOT_FOUND,
                Html("<!DOCTYPE html><html lang=\"en-GB\"><head><meta charset=\"utf-8\"><title>Audio not ready</title></head><body><main><h1>The audio version is not ready</h1><p>It is made on the server shortly after a report is published. Try again in a few minutes, or read the report's plain text.</p></main></body></html>".to_owned()),
            )
                .into_response()
        };
        return recording(state, Recorded::Report(number), not_yet).await;
    }
    let Some(body) = report.rendered.in_format(format) else {
        return missing();
    };
    let body = body.to_owned();
    match format {
        ReportFormat::Html | ReportFormat::LargePrint => Html(body).into_response(),
        ReportFormat::Audio => missing(),
        ReportFormat::Text => body
            .with_content_type("text/plain; charset=utf-8")
            .into_response(),
        ReportFormat::Markdown => body
            .with_content_type("text/markdown; charset=utf-8")
            .into_response(),
        ReportFormat::Csv => body
            .with_content_type("text/csv; charset=utf-8")
            .with_header(
                "content-disposition",
                format!("attachment; filename=\"report-{number}.csv\""),
            )
            .into_response(),
    }
}

/// A recording as served: the file, cached for a day (it never changes once made), or
/// `missing` until it is made.
async fn recording(state: &AppState, of: Recorded, missing: impl FnOnce() -> Response) -> Response {
    match recordings::get(&state.read, of).await {
        Ok(Some(audio)) => audio
            .bytes
            .with_content_type(audio.media_type)
            .with_header("cache-control", "public, max-age=86400")
            .into_response(),
        Ok(None) => missing(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}
