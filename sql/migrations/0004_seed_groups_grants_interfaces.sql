-- The roles, grants and interfaces of SPEC §3.
SET LOCAL ROLE auth_owner;

INSERT INTO accounts.groups (name, side, description) VALUES
  ('superadmin',    'staff',  'Runs the platform; may grant every role.'),
  ('support',       'staff',  'Helps customers.'),
  ('manager',       'staff',  'Onboards heads, executors, service staff and customers.'),
  ('executor_head', 'client', 'Head of drivers and couriers.'),
  ('driver',        'client', 'Carries out rides.'),
  ('courier',       'client', 'Carries out deliveries.'),
  ('service_head',  'client', 'Head of a firm serving drivers and couriers.'),
  ('service_staff', 'client', 'Staff of such a firm.'),
  ('customer',      'client', 'Orders rides and deliveries.');

INSERT INTO accounts.grants (grantor_group, grantee_group)
SELECT 'superadmin', name FROM accounts.groups;

INSERT INTO accounts.grants (grantor_group, grantee_group) VALUES
  ('manager', 'executor_head'), ('manager', 'service_head'), ('manager', 'driver'),
  ('manager', 'courier'), ('manager', 'service_staff'), ('manager', 'customer'),
  ('support', 'customer'),
  ('executor_head', 'driver'), ('executor_head', 'courier'),
  ('service_head', 'service_staff');

INSERT INTO accounts.interfaces (name, description) VALUES
  ('customer_app',  'The customers'' mobile app.'),
  ('driver_app',    'The drivers'' mobile app.'),
  ('courier_app',   'The couriers'' mobile app.'),
  ('head_console',  'Web console for heads of fleets and firms.'),
  ('staff_console', 'Web console for our own staff.');

INSERT INTO accounts.interface_self_registration (interface_name, group_name) VALUES
  ('customer_app', 'customer'),
  ('driver_app',   'driver'),
  ('courier_app',  'courier');
