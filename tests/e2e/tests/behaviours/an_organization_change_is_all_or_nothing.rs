//! A user created into an organization, a membership ended with its
//! sessions, and an invitation accepted, are each one transaction: when the
//! last write (the membership or its event) fails, nothing of the change
//! remains. The failures are
//! injected with test-only triggers that fire for one organization only, so
//! parallel tests are unaffected.

use e2e::{
    admin_db, appoint_head, claims_of, new_organization, sign_in_again, signed_in_as, Api, Person,
};
use serde_json::json;

/// Makes every `table` insert whose `column` equals `value` fail; the guard
/// removes the trigger again.
struct Fault {
    name: String,
    table: &'static str,
}

impl Fault {
    fn on(table: &'static str, condition: &str) -> Fault {
        let name = format!("fail_{}", e2e::unique_number());
        admin_db()
            .batch_execute(&format!(
                "CREATE FUNCTION public.{name}() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN
                   IF {condition} THEN
                     RAISE EXCEPTION 'injected failure' USING ERRCODE = 'XX000';
                   END IF;
                   RETURN NEW;
                 END $$;
                 CREATE TRIGGER {name} BEFORE INSERT ON {table}
                   FOR EACH ROW EXECUTE FUNCTION public.{name}();"
            ))
            .unwrap();
        Fault { name, table }
    }
}

impl Drop for Fault {
    fn drop(&mut self) {
        let (name, table) = (&self.name, self.table);
        admin_db()
            .batch_execute(&format!(
                "DROP TRIGGER {name} ON {table}; DROP FUNCTION public.{name}();"
            ))
            .unwrap();
    }
}

#[test]
fn a_user_whose_membership_cannot_be_written_is_not_created() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let fleet = new_organization(&api, &admin, "fleet");
    let mut head = signed_in_as(&api, &["customer"]);
    appoint_head(&api, &admin, &fleet, &head.user_id);
    sign_in_again(&api, &mut head);

    let person = Person::new();
    let mut body = person.registration();
    body.as_object_mut().unwrap().remove("interface");
    body["group_names"] = json!(["driver"]);
    let reply = {
        let _fault = Fault::on(
            "accounts.organization_members",
            &format!("NEW.organization_id = '{fleet}'"),
        );
        api.bearer("POST", "/api/v1/users", &head.access_token, Some(&body))
    };
    reply.problem(500);
    assert!(!reply.text.contains("injected"), "no database message");

    let row = admin_db()
        .query_one(
            "SELECT (SELECT count(*) FROM accounts.contacts WHERE value IN ($1, $2, $3)),
                    (SELECT count(*) FROM auth.outbox WHERE payload->>'second_login' = $1)",
            &[&person.second_login, &person.phone, &person.email],
        )
        .unwrap();
    let counts: Vec<i64> = (0..2).map(|i| row.get(i)).collect();
    assert_eq!(counts, [0, 0], "contacts, events left behind");

    // Without the fault the same person is created, into the fleet.
    let reply = api.bearer("POST", "/api/v1/users", &head.access_token, Some(&body));
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json()["user"]["organization_id"], fleet.as_str());
}

#[test]
fn a_membership_whose_end_cannot_be_written_ends_nothing() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let fleet = new_organization(&api, &admin, "fleet");
    let mut driver = signed_in_as(&api, &["driver"]);
    let added = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{fleet}/members"),
        &admin.access_token,
        Some(&json!({"user_id": driver.user_id})),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    sign_in_again(&api, &mut driver);
    assert_eq!(claims_of(&driver.access_token)["orgs"], json!([fleet]));

    let member = format!("/api/v1/organizations/{fleet}/members/{}", driver.user_id);
    let reply = {
        let _fault = Fault::on(
            "auth.outbox",
            &format!(
                "NEW.event_type = 'membership.ended' AND NEW.payload->>'organization_id' = '{fleet}'"
            ),
        );
        api.bearer("DELETE", &member, &admin.access_token, None)
    };
    reply.problem(500);
    // Still a member, still signed in, and the history shows nothing ended.
    assert_eq!(api.me(&driver.access_token).status, 200);
    let ended: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM accounts.organization_members
             WHERE user_id = $1::text::uuid AND ended_at IS NOT NULL",
            &[&driver.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(ended, 0);

    let reply = api.bearer("DELETE", &member, &admin.access_token, None);
    assert_eq!(reply.status, 204, "{}", reply.text);
    api.me(&driver.access_token).problem(401);
}

#[test]
fn an_acceptance_whose_event_cannot_be_written_joins_nobody() {
    let api = Api::new();
    let admin = signed_in_as(&api, &["superadmin"]);
    let fleet = new_organization(&api, &admin, "fleet");
    let mut head = signed_in_as(&api, &["customer"]);
    appoint_head(&api, &admin, &fleet, &head.user_id);
    sign_in_again(&api, &mut head);
    let driver = signed_in_as(&api, &["driver"]);
    let invited = api.bearer(
        "POST",
        &format!("/api/v1/organizations/{fleet}/members"),
        &head.access_token,
        Some(&json!({"user_id": driver.user_id})),
    );
    assert_eq!(invited.status, 202, "{}", invited.text);
    let invitation = e2e::invitations_of(&api, &driver)[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let accept = format!("/api/v1/auth/invitations/{invitation}/accept");

    let reply = {
        let _fault = Fault::on(
            "auth.outbox",
            &format!(
                "NEW.event_type = 'membership.started' AND NEW.payload->>'organization_id' = '{fleet}'"
            ),
        );
        api.bearer("POST", &accept, &driver.access_token, None)
    };
    reply.problem(500);
    // No membership, and the invitation is still there to accept.
    let members: i64 = admin_db()
        .query_one(
            "SELECT count(*) FROM accounts.organization_members WHERE user_id = $1::text::uuid",
            &[&driver.user_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(members, 0);
    assert_eq!(e2e::invitations_of(&api, &driver).len(), 1);

    let reply = api.bearer("POST", &accept, &driver.access_token, None);
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.json()["membership"]["organization_id"],
        fleet.as_str()
    );
}
