//! How a member hears what happens to what they raised: the media Pyramid reaches people by,
//! the choice a member makes (`DeliveryPreference`), and the rule that turns their choice and
//! what they have set up (a linked chat account, a confirmed e-mail address) into where their
//! news goes (`Reach::routes`) and what they are told about it (`Reach::hearing`).

stored_enum!(
    /// What carries a delivery to the outside world.
    Medium {
        /// A chat post or direct message (Discord).
        Chat = "CHAT",
        /// An e-mail, to a confirmed address.
        Email = "EMAIL",
        /// A recording made on this server (a newsletter's audio version): not a way to reach
        /// a member, but delivered through the outbox so it is made once and survives a crash.
        Audio = "AUDIO",
    }
);

stored_enum!(
    /// How a member chose to hear about their items.
    DeliveryPreference {
        Chat = "CHAT",
        Email = "EMAIL",
        Both = "BOTH",
        /// Not at all: they look their items up themselves.
        None = "NONE",
    }
);

impl DeliveryPreference {
    /// The media this choice asks for.
    pub fn media(self) -> &'static [Medium] {
        match self {
            DeliveryPreference::Chat => &[Medium::Chat],
            DeliveryPreference::Email => &[Medium::Email],
            DeliveryPreference::Both => &[Medium::Chat, Medium::Email],
            DeliveryPreference::None => &[],
        }
    }

    /// The choice that leaves out e-mail (what following an e-mail's unsubscribe link makes
    /// of it).
    pub fn without_email(self) -> DeliveryPreference {
        match self {
            DeliveryPreference::Both | DeliveryPreference::Chat => DeliveryPreference::Chat,
            DeliveryPreference::Email | DeliveryPreference::None => DeliveryPreference::None,
        }
    }
}

/// What a member has set up for Pyramid to reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reach {
    /// What they chose, if they chose.
    pub chosen: Option<DeliveryPreference>,
    /// They have a linked chat account.
    pub chat: bool,
    /// They have a confirmed e-mail address.
    pub email: bool,
}

/// Where one piece of a member's news goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Send it by this medium.
    Send(Medium),
    /// It should go by this medium, but the member cannot be reached by it: recorded as a
    /// delivery given up at once, with the reason, so their group's officers see it.
    Unreachable(Medium, &'static str),
}

/// How a member will hear, in a form transports can word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hearing {
    Chat,
    Email,
    Both,
    /// They chose not to be told.
    NotAtAll,
    /// Nothing they chose is set up (`chosen` is their choice, or `None` when they made none
    /// and have neither a chat account nor a confirmed address).
    NotSetUp {
        chosen: Option<DeliveryPreference>,
    },
}

impl Reach {
    /// What they chose, or else the default: chat if they have a linked chat account,
    /// otherwise e-mail once their address is confirmed; `None` when neither is set up.
    pub fn preference(&self) -> Option<DeliveryPreference> {
        self.chosen.or(match (self.chat, self.email) {
            (true, _) => Some(DeliveryPreference::Chat),
            (false, true) => Some(DeliveryPreference::Email),
            (false, false) => None,
        })
    }

    fn reaches(&self, medium: Medium) -> bool {
        match medium {
            Medium::Chat => self.chat,
            Medium::Email => self.email,
            Medium::Audio => false,
        }
    }

    /// Where an update about one of their items goes: one route per medium of their
    /// preference. A member with nothing set up still gets a route, unreachable, so that the
    /// update is seen to go nowhere; one who chose `NONE` gets none.
    pub fn routes(&self) -> Vec<Route> {
        let Some(preference) = self.preference() else {
            return vec![Route::Unreachable(
                Medium::Chat,
                "the member has no linked chat account and no confirmed e-mail address",
            )];
        };
        preference
            .media()
            .iter()
            .map(|&medium| match (medium, self.reaches(medium)) {
                (medium, true) => Route::Send(medium),
                (Medium::Chat, false) => {
                    Route::Unreachable(Medium::Chat, "the member has not linked a chat account")
                }
                (Medium::Email, false) => {
                    Route::Unreachable(Medium::Email, "the member has no confirmed e-mail address")
                }
                (Medium::Audio, false) => {
                    Route::Unreachable(Medium::Audio, "a member is not reached by a recording")
                }
            })
            .collect()
    }

    /// How they will hear, given what is set up now.
    pub fn hearing(&self) -> Hearing {
        if self.preference() == Some(DeliveryPreference::None) {
            return Hearing::NotAtAll;
        }
        let sent: Vec<Medium> = self
            .routes()
            .into_iter()
            .filter_map(|route| match route {
                Route::Send(medium) => Some(medium),
                Route::Unreachable(..) => None,
            })
            .collect();
        match sent.as_slice() {
            [Medium::Chat] => Hearing::Chat,
            [Medium::Email] => Hearing::Email,
            [_, _] => Hearing::Both,
            _ => Hearing::NotSetUp {
                chosen: self.chosen,
            },
        }
    }
}

impl Hearing {
    /// A sentence for the member, saying how they will hear what happens to what they raised.
    pub fn sentence(self) -> String {
        const MEANWHILE: &str =
            "meanwhile ask your PPG's secretary, or look it up with its reference.";
        match self {
            Hearing::Chat => {
                "Pyramid will tell you by a direct message in Discord when it moves or is answered."
                    .to_owned()
            }
            Hearing::Email => "Pyramid will e-mail you when it moves or is answered.".to_owned(),
            Hearing::Both => {
                "Pyramid will tell you in Discord and by e-mail when it moves or is answered."
                    .to_owned()
            }
            Hearing::NotAtAll => format!(
                "You chose not to be told by Pyramid (you can change this with setDeliveryPreference); {MEANWHILE}"
            ),
            Hearing::NotSetUp { chosen: None } => format!(
                "You have no way set up for Pyramid to tell you what happens: link Discord or confirm your e-mail address; {MEANWHILE}"
            ),
            Hearing::NotSetUp {
                chosen: Some(DeliveryPreference::Chat),
            } => format!(
                "You chose to hear in Discord, but no Discord account is linked: link one, or choose EMAIL with setDeliveryPreference; {MEANWHILE}"
            ),
            Hearing::NotSetUp {
                chosen: Some(DeliveryPreference::Email),
            } => format!(
                "You chose to hear by e-mail, but your address is not confirmed: confirm it (requestEmailConfirmation); {MEANWHILE}"
            ),
            Hearing::NotSetUp { chosen: Some(_) } => format!(
                "You have no way set up for Pyramid to tell you what happens: link Discord or confirm your e-mail address; {MEANWHILE}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeliveryPreference as P;

    fn reach(chosen: Option<P>, chat: bool, email: bool) -> Reach {
        Reach {
            chosen,
            chat,
            email,
        }
    }

    #[test]
    fn by_default_chat_if_linked_else_email_once_confirmed() {
        assert_eq!(reach(None, true, true).preference(), Some(P::Chat));
        assert_eq!(reach(None, false, true).preference(), Some(P::Email));
        assert_eq!(reach(None, false, false).preference(), None);
        assert_eq!(
            reach(Some(P::Both), false, false).preference(),
            Some(P::Both)
        );
    }

    #[test]
    fn each_chosen_medium_is_a_route_and_one_not_set_up_is_seen_to_fail() {
        assert_eq!(
            reach(None, true, false).routes(),
            vec![Route::Send(Medium::Chat)]
        );
        assert_eq!(
            reach(Some(P::Both), true, true).routes(),
            vec![Route::Send(Medium::Chat), Route::Send(Medium::Email)]
        );
        let both_half = reach(Some(P::Both), true, false).routes();
        assert_eq!(both_half[0], Route::Send(Medium::Chat));
        assert!(matches!(both_half[1], Route::Unreachable(Medium::Email, _)));
        assert!(matches!(
            reach(None, false, false).routes().as_slice(),
            [Route::Unreachable(Medium::Chat, why)] if why.contains("no confirmed e-mail")
        ));
        assert_eq!(reach(Some(P::None), true, true).routes(), vec![]);
    }

    #[test]
    fn the_member_is_told_how_they_will_hear() {
        assert_eq!(reach(None, true, false).hearing(), Hearing::Chat);
        assert_eq!(reach(Some(P::Email), true, true).hearing(), Hearing::Email);
        assert_eq!(reach(Some(P::Both), true, true).hearing(), Hearing::Both);
        assert_eq!(reach(Some(P::Both), false, true).hearing(), Hearing::Email);
        assert_eq!(
            reach(Some(P::None), true, true).hearing(),
            Hearing::NotAtAll
        );
        let nothing = reach(None, false, false).hearing();
        assert_eq!(nothing, Hearing::NotSetUp { chosen: None });
        assert!(
            nothing
                .sentence()
                .starts_with("You have no way set up for Pyramid to tell you what happens")
        );
        assert!(
            reach(Some(P::Email), true, false)
                .hearing()
                .sentence()
                .contains("not confirmed")
        );
    }

    #[test]
    fn unsubscribing_from_e_mail_keeps_chat() {
        assert_eq!(P::Both.without_email(), P::Chat);
        assert_eq!(P::Email.without_email(), P::None);
        assert_eq!(P::Chat.without_email(), P::Chat);
    }
}
