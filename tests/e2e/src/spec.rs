//! What SPEC §3 says of roles, as data the tests compare with the service.

/// SPEC §3, written out once for the tests: every role …
pub const ROLES: [&str; 9] = [
    "superadmin",
    "support",
    "manager",
    "executor_head",
    "driver",
    "courier",
    "service_head",
    "service_staff",
    "customer",
];

/// … what each may grant …
pub fn spec_grants(role: &str) -> Vec<&'static str> {
    match role {
        "superadmin" => ROLES.to_vec(),
        "manager" => vec![
            "executor_head",
            "service_head",
            "driver",
            "courier",
            "service_staff",
            "customer",
        ],
        "support" => vec!["customer"],
        "executor_head" => vec!["driver", "courier"],
        "service_head" => vec!["service_staff"],
        _ => vec![],
    }
}

/// … and what each interface lets people self-register into.
pub const SELF_REGISTRATION: [(&str, &[&str]); 5] = [
    ("customer_app", &["customer"]),
    ("driver_app", &["driver"]),
    ("courier_app", &["courier"]),
    ("head_console", &[]),
    ("staff_console", &[]),
];
