//! `MemoryStore` under real parallelism: tasks on a multi-threaded runtime race for the same
//! key or upload, and exactly one of them may win.

use std::sync::Arc;

use bytes::Bytes;
use s4_naming::AccountId;
use s4_storage::memory::MemoryStore;
use s4_storage::multipart::{CompleteUpload, CompletedPart, UploadPart, UploadRef};
use s4_storage::{
    body, ObjectAttributes, ObjectRef, ObjectStore, PutObject, StorageError, WritePrecondition,
};

const TASKS: usize = 16;

fn target(key: &str) -> ObjectRef {
    ObjectRef {
        account: AccountId::from_number(7).expect("account"),
        bucket: "race".to_owned(),
        key: key.to_owned(),
    }
}

async fn store() -> Arc<MemoryStore> {
    let store = Arc::new(MemoryStore::new().with_min_part_size(4));
    store
        .create_bucket(&target("").account, "race")
        .await
        .expect("bucket");
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_completions_have_one_winner() {
    let store = store().await;
    for round in 0..20 {
        let object = target(&format!("k{round}"));
        let created = store
            .create_multipart_upload(&object, ObjectAttributes::default())
            .await
            .expect("create");
        let upload = UploadRef {
            target: object.clone(),
            upload_id: created.upload_id,
        };
        let part = store
            .upload_part(UploadPart {
                upload: upload.clone(),
                part_number: 1,
                body: body::once(Bytes::from_static(b"bytes")),
                content_length: Some(5),
                content_md5: None,
            })
            .await
            .expect("part");
        let mut tasks = Vec::new();
        for _ in 0..TASKS {
            let store = Arc::clone(&store);
            let request = CompleteUpload {
                upload: upload.clone(),
                parts: vec![CompletedPart {
                    number: 1,
                    etag: part.etag.clone(),
                }],
                precondition: WritePrecondition::default(),
            };
            tasks.push(tokio::spawn(async move {
                store.complete_multipart_upload(request).await
            }));
        }
        let mut wins = 0;
        for task in tasks {
            match task.await.expect("task") {
                Ok(_) => wins += 1,
                Err(StorageError::NoSuchUpload) => {}
                Err(other) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(wins, 1, "round {round}: exactly one completion wins");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_exclusive_creates_have_one_winner() {
    let store = store().await;
    for round in 0..20 {
        let object = target(&format!("x{round}"));
        let mut tasks = Vec::new();
        for i in 0..TASKS {
            let store = Arc::clone(&store);
            let object = object.clone();
            tasks.push(tokio::spawn(async move {
                let bytes = Bytes::from(vec![i as u8; 64]);
                let result = store
                    .put_object(PutObject {
                        target: object,
                        attributes: ObjectAttributes::default(),
                        body: body::once(bytes.clone()),
                        content_length: Some(64),
                        content_md5: None,
                        precondition: WritePrecondition::if_none_match("*"),
                    })
                    .await;
                (result, bytes)
            }));
        }
        let mut winners = Vec::new();
        for task in tasks {
            match task.await.expect("task") {
                (Ok(_), bytes) => winners.push(bytes),
                (Err(StorageError::PreconditionFailed), _) => {}
                (Err(other), _) => panic!("round {round}: unexpected {other:?}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one create wins");
        let got = store.get_object(&object, None).await.expect("get");
        let stored = body::collect(got.body).await.expect("body");
        assert_eq!(
            stored, winners[0],
            "round {round}: the winner's bytes are stored"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_parts_of_a_valid_upload_all_pass() {
    let store = store().await;
    for round in 0..20 {
        let object = target(&format!("p{round}"));
        let created = store
            .create_multipart_upload(&object, ObjectAttributes::default())
            .await
            .expect("create");
        let upload = UploadRef {
            target: object.clone(),
            upload_id: created.upload_id,
        };
        let count = 8u32;
        let mut tasks = Vec::new();
        for number in (1..=count).rev() {
            let store = Arc::clone(&store);
            let upload = upload.clone();
            let len = if number == count { 3 } else { 8 };
            tasks.push(tokio::spawn(async move {
                store
                    .upload_part(UploadPart {
                        upload,
                        part_number: number,
                        body: body::once(Bytes::from(vec![number as u8; len])),
                        content_length: Some(len as u64),
                        content_md5: None,
                    })
                    .await
            }));
        }
        let mut parts = Vec::new();
        for task in tasks {
            parts.push(
                task.await
                    .expect("task")
                    .expect("every part of a valid upload passes"),
            );
        }
        parts.sort_by_key(|p| p.number);
        let info = store
            .complete_multipart_upload(CompleteUpload {
                upload,
                parts: parts
                    .iter()
                    .map(|p| CompletedPart {
                        number: p.number,
                        etag: p.etag.clone(),
                    })
                    .collect(),
                precondition: WritePrecondition::default(),
            })
            .await
            .expect("complete");
        assert_eq!(info.size, 7 * 8 + 3, "round {round}: size");
        let got = store.get_object(&object, None).await.expect("get");
        let bytes = body::collect(got.body).await.expect("body");
        let expected: Vec<u8> = (1..=count)
            .flat_map(|n| vec![n as u8; if n == count { 3 } else { 8 }])
            .collect();
        assert_eq!(bytes, expected, "round {round}: bytes in part order");
    }
}
