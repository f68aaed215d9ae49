"""The application: MIS worklist → tasks → attempts on the channels → outcomes back in the MIS.

Entry points: `service.CampaignRunner` (`run_once`, `serve`) and `service.run_campaign_once`;
the modules beside them each do one step (see docs/architecture.md). Nothing is re-exported
here, so importing one step (the clock, say) does not load the SIP stack and the MIS drivers.
"""
