//! Sixteen people registering one login or phone at the same moment:
//! exactly one gets the account (201), the fifteen others a 409 naming the
//! field — never a 500 — and none of the losers leaves anything behind. The
//! race is settled by the database's unique index, inside the stored function.

use e2e::{admin_db, Api, Person};
use std::sync::{Arc, Barrier};

const RACERS: usize = 16;

/// Every racer registers at the same moment (a barrier): their answers.
fn register_at_once(racers: &[Person]) -> Vec<e2e::Reply> {
    let barrier = Arc::new(Barrier::new(racers.len()));
    let threads: Vec<_> = racers
        .iter()
        .map(|racer| {
            let body = racer.registration();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let api = Api::new();
                barrier.wait();
                api.register(&body)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

fn race_for(field: &str) {
    let shared = Person::new();
    let mut racers: Vec<Person> = (0..RACERS).map(|_| Person::new()).collect();
    for racer in &mut racers {
        if field == "second_login" {
            racer.second_login = shared.second_login.clone();
        } else {
            racer.phone = shared.phone.clone();
            racer.phone_typed = shared.phone_typed.clone();
        }
    }
    let replies = register_at_once(&racers);

    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{field}: {statuses:?}"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        let problem = reply.problem(409);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }

    // Of all the racers' values, only the winner's are stored, and only the
    // winner's registration event was written.
    let values: Vec<String> = racers
        .iter()
        .flat_map(|r| [r.second_login.clone(), r.phone.clone(), r.email.clone()])
        .collect();
    let logins: Vec<String> = racers.iter().map(|r| r.second_login.clone()).collect();
    let row = admin_db()
        .query_one(
            "SELECT (SELECT count(DISTINCT user_id) FROM accounts.contacts WHERE value = ANY($1)),
                    (SELECT count(*) FROM accounts.contacts WHERE value = ANY($1)),
                    (SELECT count(*) FROM auth.outbox WHERE payload->>'second_login' = ANY($2))",
            &[&values, &logins],
        )
        .unwrap();
    assert_eq!(
        (
            row.get::<_, i64>(0),
            row.get::<_, i64>(1),
            row.get::<_, i64>(2)
        ),
        (1, 3, 1),
        "{field}: one user with login, phone and email, and one event"
    );
}

#[test]
fn sixteen_racing_for_one_second_login_make_one_account() {
    race_for("second_login");
}

#[test]
fn sixteen_racing_for_one_phone_make_one_account() {
    race_for("phone");
}

/// An email nobody has verified keeps nobody out (SPEC §2): all sixteen
/// register; one holds it (unverified), the fifteen others have claimed it
/// (`email_pending`), and whoever follows their link first will take it.
#[test]
fn sixteen_racing_for_one_unverified_email_make_one_holder_and_fifteen_claims() {
    let shared = Person::new();
    let racers: Vec<Person> = (0..RACERS)
        .map(|_| Person {
            email: shared.email.clone(),
            ..Person::new()
        })
        .collect();
    let replies = register_at_once(&racers);
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let pending = replies
        .iter()
        .filter(|r| r.json()["user"]["email_pending"] == true)
        .count();
    assert_eq!(pending, RACERS - 1, "fifteen claims");
    let (holders, links): (i64, i64) = {
        let row = admin_db()
            .query_one(
                "SELECT (SELECT count(*) FROM accounts.contacts
                         WHERE contact_type = 'email' AND value = $1 AND is_active),
                        (SELECT count(DISTINCT user_id) FROM auth.email_links
                         WHERE email = $1 AND purpose = 'verify_email')",
                &[&shared.email],
            )
            .unwrap();
        (row.get(0), row.get(1))
    };
    assert_eq!(holders, 1, "one holder");
    // A link went out to each: the holder's and every claimant's are
    // counted apart, so no claimant uses up another's.
    assert_eq!(links, RACERS as i64, "a link each");
}
