//! An HTTP/1.1 accept loop in which a handler can drop its own connection without answering:
//! the "lost response" of a real network (BKN stored the record; the client never hears so).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tower::ServiceExt;

/// Put into each request's extensions; [`DropConnection::now`] ends the connection unanswered.
#[derive(Clone)]
pub struct DropConnection(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl DropConnection {
    /// Closes the connection; the handler should then wait forever (it is dropped with it).
    pub fn now(&self) {
        if let Ok(mut slot) = self.0.lock()
            && let Some(tx) = slot.take()
        {
            let _ = tx.send(());
        }
    }
}

/// Serves `router` until `shutdown` turns true.
pub async fn serve(listener: TcpListener, router: Router, mut shutdown: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let mut conn_shutdown = shutdown.clone();
        tokio::spawn(async move {
            let (tx, rx) = oneshot::channel::<()>();
            let dropper = DropConnection(Arc::new(Mutex::new(Some(tx))));
            let service = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
                req.extensions_mut().insert(dropper.clone());
                router.clone().oneshot(req.map(Body::new))
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = rx => {}
                _ = conn_shutdown.changed() => {}
            }
        });
    }
}
