//! Frames built and read back: round trips, sizes and bounds of the
//! hand-laid heads (the garbage-input cases are in `wire_fuzz`).

use super::*;

fn done(frame: &[u8]) -> DoneMsg {
    match read_reply(&mut &frame[..]).unwrap().unwrap() {
        Reply::Done(d) => d,
        Reply::Started(id) => panic!("a started frame for {id}"),
    }
}

#[test]
fn frames_round_trip() {
    let header = JobHeader { id: 7, tramp: 1, func: 2, gil: true, interval_ns: 5_000_000 };
    let args: Vec<(u64, Vec<u8>)> = vec![(0, vec![1, 2, 3]), (1, vec![])];
    let frame = encode_job(&header, args.iter().map(|(i, b)| (*i, b.as_slice())), MAX_FRAME).unwrap();
    let back = read_job(&mut &frame[..]).unwrap().unwrap();
    assert_eq!(back.header, header);
    let got: Vec<(u64, Vec<u8>)> = back.items.iter().map(|(i, r)| (*i, back.arg(r).to_vec())).collect();
    assert_eq!(got, args);

    let timing = ItemTiming { thread: 1, start_ns: 10, end_ns: 20, cpu_ns: None, gil_wait_ns: 5 };
    let mut w = DoneWriter::new(7, 2);
    w.item(|out| {
        out.extend_from_slice(b"boom");
        (Status::Panicked, timing)
    });
    w.item(|_| (Status::Ok, ItemTiming { cpu_ns: Some(9), ..timing }));
    let frame = w.finish().unwrap();
    let back = done(&frame);
    assert_eq!(back.id, 7);
    assert_eq!(back.payload(&back.items[0]), b"boom");
    assert_eq!((back.items[0].status, back.items[0].timing), (Status::Panicked, timing));
    assert_eq!(back.payload(&back.items[1]), b"");
    assert_eq!(back.items[1].timing.cpu_ns, Some(9));
    assert!(read_reply(&mut &[][..]).unwrap().is_none());
    assert!(read_reply(&mut &frame[..frame.len() - 1]).is_err());
}

#[test]
fn started_frames_sizes_and_too_large_reports_read_back() {
    let started = started_frame(41).unwrap();
    assert!(matches!(read_reply(&mut &started[..]).unwrap(), Some(Reply::Started(41))));

    let header = JobHeader { id: 1, tramp: 2, func: 3, gil: false, interval_ns: 4 };
    let args: [&[u8]; 3] = [b"abc", b"", &[7; 100]];
    let items = || args.iter().enumerate().map(|(i, a)| (i as u64, *a));
    let frame = encode_job(&header, items(), MAX_FRAME).unwrap();
    let len = frame.len() - 4;
    assert_eq!(encode_job(&header, items(), len), Ok(frame.clone()), "a frame of exactly the limit is built");
    assert_eq!(encode_job(&header, items(), len - 1), Err(len), "one byte over the limit is refused");

    let mut w = DoneWriter::new(u64::MAX, 2);
    let timing = ItemTiming { thread: u32::MAX, start_ns: 1, end_ns: 2, cpu_ns: None, gil_wait_ns: 0 };
    assert!(w.bound(2) <= done_frame_bound(2));
    for _ in 0..2 {
        w.item(|out| {
            out.extend_from_slice(b"a result too big to send");
            (Status::Ok, timing)
        });
        w.too_large_last(5, 4, 2);
    }
    let bound = w.bound(0);
    let frame = w.finish().unwrap();
    assert!(frame.len() - 4 <= bound && bound <= done_frame_bound(2), "{} {bound}", frame.len() - 4);
    let back = done(&frame);
    assert_eq!(back.items[1].status, Status::TooLarge);
    assert_eq!(read_too_large(back.payload(&back.items[1])), Some((5, 4, 2)));
    assert_eq!(read_too_large(b"short"), None);
}

#[test]
fn heads_fit_their_bounds_and_item_heads_read_back() {
    let head = DoneHead { id: u64::MAX, items: u32::MAX };
    assert_eq!(postcard::experimental::serialized_size(&head).unwrap(), DONE_HEAD_MAX);
    let t = ItemTiming { thread: 7, start_ns: 1, end_ns: u64::MAX - 1, cpu_ns: Some(3), gil_wait_ns: 4 };
    let mut h = [0; ITEM_HEAD];
    for (t, status) in [(t, Status::Serde), (ItemTiming { cpu_ns: None, ..t }, Status::TooLarge)] {
        put_item_head(&mut h, &t, status, 99);
        assert_eq!(get_item_head(&h), Some((t, status, 99)));
    }
    h[36] = 5;
    assert_eq!(get_item_head(&h), None, "a status byte no worker sends");
    assert_eq!(
        too_large_payload(1, 2, 3).len(),
        postcard::experimental::serialized_size(&TooLarge { bytes: u64::MAX, limit: 0, items: 1 }).unwrap()
    );
}
