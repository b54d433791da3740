"""Work plans (作業計画書) and work reports (作業報告書): model, basis, records, store and renderings."""
