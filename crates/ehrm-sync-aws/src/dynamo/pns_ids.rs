//! [`PnsIdCache`]: NIP → SIASN PNS id, and back; [`RiwayatLists`]: an employee's remembered
//! riwayat lists, beside the PNS id in the employee's partition.

use super::*;

#[async_trait]
impl PnsIdCache for DynamoStore {
    async fn pns_id(&self, nip: &Nip) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(nip_pk(nip), "PNSID")
            .await?
            .and_then(|item| match item.get("pns_id") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
    }

    async fn put_pns_id(&self, nip: &Nip, pns_id: &str, now: Millis) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(nip_pk(nip)))
            .item("SK", s("PNSID"))
            .item("pns_id", s(pns_id))
            .item("fetched_at", n(now))
            .send()
            .await
            .map_err(unavailable)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(format!("PNS#{}", pns_id.to_uppercase())))
            .item("SK", s("NIP"))
            .item("nip", s(nip.as_str()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn nip_for_pns_id(&self, pns_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(format!("PNS#{}", pns_id.to_uppercase()), "NIP")
            .await?
            .and_then(|item| match item.get("nip") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
    }
}

fn list_sk(family: RiwayatFamily) -> String {
    format!("LIST#{}", family.as_str())
}

#[async_trait]
impl RiwayatLists for DynamoStore {
    async fn riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(nip_pk(nip), &list_sk(family))
            .await?
            .and_then(|item| match item.get("doc") {
                Some(AttributeValue::S(v)) => Some(v.clone()),
                _ => None,
            }))
    }

    async fn put_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
        doc: &str,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("PK", s(nip_pk(nip)))
            .item("SK", s(list_sk(family)))
            .item("doc", s(doc))
            .item("ttl", self.ttl(DataClass::Lists, wall_clock_ms()))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn forget_riwayat_list(
        &self,
        nip: &Nip,
        family: RiwayatFamily,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("PK", s(nip_pk(nip)))
            .key("SK", s(list_sk(family)))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}
