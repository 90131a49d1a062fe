//! Host-side bindings for the Spin interfaces the component imports, generated
//! from the same `wit/` the component is built against.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "logistics:auth/spin-services",
    imports: { default: async },
    with: {
        "spin:postgres/postgres.connection": crate::postgres::PgConnection,
        "fermyon:spin/redis.connection": crate::redis_host::RedisConnection,
    },
});
