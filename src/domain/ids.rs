//! Typed ids, so that a group id can never be passed where a member id is meant.

macro_rules! typed_id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

typed_id!(
    /// A PPG, District Group or Patients' Council.
    GroupId,
    /// A person known to Pyramid.
    MemberId,
    /// A person's term in a role in a group (including a nomination as representative).
    MembershipId,
    /// An organisation or service that delivers care.
    ProviderId,
    /// A bearer token for the API.
    ApiTokenId,
    /// A piece of soft intelligence, concern, suggestion, compliment or question.
    ItemId,
    /// One step in an item's trail.
    ItemEventId,
    /// A group's meeting.
    MeetingId,
    /// A district's or the council's newsletter, draft or published.
    NewsletterId,
    /// One entry of a newsletter.
    NewsletterEntryId,
    /// A theme of the vocabulary.
    ThemeId,
    /// A keyword rule that suggests a theme.
    RuleId,
    /// A pattern of concern.
    PatternId,
    /// A member's watch.
    WatchId,
    /// An address waiting to be confirmed (a member's own, or a group's mailing address).
    EmailConfirmationId,
    /// A delivery in the outbox.
    DeliveryId,
    /// One file of other feedback (FFT, complaints, PALS, Care Opinion) or of the ODS register,
    /// imported.
    FeedbackImportId,
    /// A published report: an area's monthly patient-experience report or its annual
    /// consultation report.
    ReportId,
    /// A consultation or engagement exercise in an area's register.
    ConsultationId,
);
