# Read the WSUS catalogue for the approval decision (patch_approve). Reads only: no approval, no decline.
# Output: one JSON document (ConvertTo-Json, as Windows PowerShell 5.1 writes it) in $Ansible.Result:
# Server, PortNumber, CollectedAt, TargetGroups, and Updates - each a Get-WsusUpdate object's fields
# with the update's superseding updates and, per target group of the rings, its approval and counts.
[CmdletBinding()]
param(
    [Parameter(Mandatory)][string[]]$TargetGroups,
    [string]$UpdateServer = 'localhost',
    [int]$PortNumber = 8530,
    [bool]$UseSsl = $false
)
$ErrorActionPreference = 'Stop'
$Ansible.Changed = $false

$wsus = Get-WsusServer -Name $UpdateServer -PortNumber $PortNumber -UseSsl:$UseSsl
$groups = @{}
foreach ($group in $wsus.GetComputerTargetGroups()) { $groups[$group.Name] = $group }
$missing = @($TargetGroups | Where-Object { -not $groups.ContainsKey($_) })
if ($missing) { throw "WSUS にない対象グループ: $($missing -join ', ')" }
$byId = @{}
foreach ($name in $TargetGroups) { $byId[$groups[$name].Id] = $name }
$supersedes = [Microsoft.UpdateServices.Administration.UpdateRelationship]::UpdatesThatSupersedeThisUpdate

$updates = foreach ($row in Get-WsusUpdate -UpdateServer $wsus -Classification All -Approval AnyExceptDeclined -Status Any) {
    $update = $row.Update
    $approvals = @{}
    foreach ($approval in $update.GetUpdateApprovals()) {
        if ($byId.ContainsKey($approval.ComputerTargetGroupId)) { $approvals[$byId[$approval.ComputerTargetGroupId]] = "$($approval.Action)" }
    }
    [pscustomobject]@{
        Update = $update | Select-Object Id, Title, KnowledgebaseArticles, UpdateClassificationTitle, ProductTitles,
            CreationDate, ArrivalDate, IsSuperseded, IsDeclined, IsApproved
        UpdateId = "$($update.Id.UpdateId)"
        Approved = "$($row.Approved)"
        Classification = $row.Classification
        ComputersNeedingThisUpdate = $row.ComputersNeedingThisUpdate
        ComputersInstalledOrNotApplicable = $row.ComputersInstalledOrNotApplicable
        ComputersWithErrors = $row.ComputersWithErrors
        SupersededBy = @($update.GetRelatedUpdates($supersedes) | ForEach-Object { "$($_.Id.UpdateId)" })
        TargetGroups = foreach ($name in $TargetGroups) {
            $s = $update.GetSummaryForComputerTargetGroup($groups[$name])
            [pscustomobject]@{
                Name = $name
                Approval = if ($approvals.ContainsKey($name)) { $approvals[$name] } else { 'NotApproved' }
                NotInstalledCount = $s.NotInstalledCount; DownloadedCount = $s.DownloadedCount
                InstalledCount = $s.InstalledCount; InstalledPendingRebootCount = $s.InstalledPendingRebootCount
                FailedCount = $s.FailedCount; NotApplicableCount = $s.NotApplicableCount; UnknownCount = $s.UnknownCount
            }
        }
    }
}
$Ansible.Result = [pscustomobject]@{
    Server = $UpdateServer; PortNumber = $PortNumber; CollectedAt = (Get-Date).ToUniversalTime()
    TargetGroups = $TargetGroups; Updates = @($updates)
} | ConvertTo-Json -Depth 6 -Compress
