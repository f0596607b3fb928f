//! The store and queue contract on DynamoDB and SQS, on the endpoint in `AWS_ENDPOINT_URL`,
//! with the table and queues deployed from `infra/template.yaml`.

use std::sync::Arc;

use ehrm_sync_tests::aws::DataStack;
use ehrm_sync_tests::contract::{QueueUnderTest, StoreUnderTest};

async fn dynamo_store() -> StoreUnderTest {
    let stack = DataStack::deploy().await;
    let store = stack.store();
    StoreUnderTest {
        store: Arc::new(store.clone()),
        pns: Arc::new(store.clone()),
        lists: Arc::new(store.clone()),
        gate: Arc::new(store.clone()),
        control: Arc::new(store.clone()),
        outbox: Arc::new(store.clone()),
        marks: Arc::new(store.clone()),
        series: Arc::new(store.clone()),
        reconcile: Arc::new(store),
        keep_alive: vec![Box::new(stack.name)],
    }
}

async fn sqs_queue() -> QueueUnderTest {
    let stack = DataStack::deploy().await;
    let max_receives = stack.max_receives().await;
    let queue = stack.queue().with_receive_visibility(2);
    QueueUnderTest {
        producer: Arc::new(queue.clone()),
        consumer: Arc::new(queue.clone()),
        dead: Arc::new(queue),
        visibility_secs: 2,
        max_receives,
        keep_alive: vec![Box::new(stack.name)],
    }
}

mod store {
    ehrm_sync_tests::store_contract!(super::dynamo_store().await);
}

mod queue {
    ehrm_sync_tests::queue_contract!(super::sqs_queue().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_template_is_the_schema_the_adapter_needs() {
    let stack = DataStack::deploy().await;
    let table = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .describe_table()
        .table_name(&stack.table)
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("a table");
    let keys: Vec<(String, String)> = table
        .key_schema()
        .iter()
        .map(|k| {
            (
                k.attribute_name().to_string(),
                k.key_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(
        keys,
        [
            ("PK".to_string(), "HASH".to_string()),
            ("SK".to_string(), "RANGE".to_string())
        ]
    );
    let indexes: Vec<&str> = table
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    for index in [
        ehrm_sync_aws::dynamo::DUE_INDEX,
        ehrm_sync_aws::dynamo::STATUS_INDEX,
    ] {
        assert!(
            indexes.contains(&index),
            "the template declares the {index} index"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stack_gives_bkn_one_egress_address_to_whitelist() {
    let stack = DataStack::deploy().await;
    let ip: std::net::Ipv4Addr = stack
        .bkn_egress_ip
        .parse()
        .unwrap_or_else(|_| panic!("BknEgressIp is an address: {:?}", stack.bkn_egress_ip));
    assert!(!ip.is_private() && !ip.is_unspecified(), "{ip}");
}
