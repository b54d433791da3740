# Apply the approval decision of patch_approval_plan on the WSUS server (patch_approve).
# $Changes: UpdateId, Action (approve | unapprove | decline), TargetGroup (null for decline).
# Each change is checked against the server first; one already in place is not counted, so
# `changed` is true only when this run approved, withdrew or declined something. Check mode: counts
# what would change, changes nothing.
[CmdletBinding(SupportsShouldProcess)]
param(
    [AllowEmptyCollection()][object[]]$Changes = @(),
    [string]$Table = '',
    [string]$UpdateServer = 'localhost',
    [int]$PortNumber = 8530,
    [bool]$UseSsl = $false
)
$ErrorActionPreference = 'Stop'
$Ansible.Diff = @{ prepared = $Table }
$wsus = Get-WsusServer -Name $UpdateServer -PortNumber $PortNumber -UseSsl:$UseSsl
$groups = @{}
foreach ($group in $wsus.GetComputerTargetGroups()) { $groups[$group.Name] = $group.Id }

$done = [System.Collections.Generic.List[object]]::new()
$already = [System.Collections.Generic.List[object]]::new()
foreach ($change in $Changes) {
    $row = Get-WsusUpdate -UpdateServer $wsus -UpdateId $change.UpdateId
    $update = $row.Update
    $approved = @($update.GetUpdateApprovals() | Where-Object {
            $_.ComputerTargetGroupId -eq $groups[$change.TargetGroup] -and "$($_.Action)" -eq 'Install' })
    $inPlace = switch ($change.Action) {
        'approve' { $approved.Count -gt 0 }
        'unapprove' { $approved.Count -eq 0 }
        'decline' { $update.IsDeclined }
        default { throw "知らない操作: $($change.Action)" }
    }
    if ($inPlace) { $already.Add($change); continue }
    if (-not $Ansible.CheckMode) {
        switch ($change.Action) {
            'approve' { $row | Approve-WsusUpdate -Action Install -TargetGroupName $change.TargetGroup }
            'unapprove' { $row | Approve-WsusUpdate -Action NotApproved -TargetGroupName $change.TargetGroup }
            'decline' { $row | Deny-WsusUpdate }
        }
    }
    $done.Add($change)
}
$Ansible.Changed = $done.Count -gt 0
$Ansible.Result = @{ applied = $done; already_in_place = $already }
