from .deploy_hook import DeployBackboneHook

__all__ = ['DeployBackboneHook']
