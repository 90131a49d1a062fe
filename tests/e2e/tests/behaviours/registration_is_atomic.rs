//! Registration is one transaction: when its last write (the outbox event)
//! fails, the user, contacts, memberships, session and refresh token are all
//! gone too. The failure is injected with a test-only trigger.

use e2e::{admin_db, Api, Person};

#[test]
fn a_failure_in_the_last_write_leaves_no_trace() {
    let person = Person::new();
    let mut db = admin_db();
    // Fails only this person's event, so parallel tests are unaffected.
    let trigger = format!("fail_outbox_{}", e2e::unique_number());
    db.batch_execute(&format!(
        "CREATE FUNCTION public.{trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.payload->>'second_login' = '{login}' THEN
             RAISE EXCEPTION 'injected failure' USING ERRCODE = 'XX000';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER {trigger} BEFORE INSERT ON auth.outbox
           FOR EACH ROW EXECUTE FUNCTION public.{trigger}();",
        login = person.second_login
    ))
    .unwrap();

    let reply = Api::new().register(&person.registration());
    db.batch_execute(&format!(
        "DROP TRIGGER {trigger} ON auth.outbox; DROP FUNCTION public.{trigger}();"
    ))
    .unwrap();

    let problem = reply.problem(500);
    assert!(
        !reply.text.contains("injected"),
        "no database message reaches the client"
    );
    assert_eq!(problem["title"], "Internal error");

    let row = db
        .query_one(
            "SELECT (SELECT count(*) FROM accounts.contacts WHERE value IN ($1, $2, $3)),
                    (SELECT count(*) FROM accounts.users u WHERE NOT EXISTS
                        (SELECT FROM accounts.contacts c WHERE c.user_id = u.id)),
                    (SELECT count(*) FROM accounts.memberships m WHERE NOT EXISTS
                        (SELECT FROM accounts.contacts c WHERE c.user_id = m.user_id)),
                    (SELECT count(*) FROM auth.sessions s WHERE NOT EXISTS
                        (SELECT FROM accounts.contacts c WHERE c.user_id = s.user_id)),
                    (SELECT count(*) FROM auth.outbox WHERE payload->>'second_login' = $1)",
            &[&person.second_login, &person.phone, &person.email],
        )
        .unwrap();
    let counts: Vec<i64> = (0..5).map(|i| row.get(i)).collect();
    assert_eq!(
        counts,
        [0, 0, 0, 0, 0],
        "contacts, users, memberships, sessions, events left behind"
    );

    // And the same person can register once the fault is gone.
    assert_eq!(Api::new().register(&person.registration()).status, 201);
}
