"""Seed text of the service catalog: the nine community-level categories with their sixteen items
(街道9类16项服务职能下沉到中心社区), and the smart service center's items of 30+ departments."""
